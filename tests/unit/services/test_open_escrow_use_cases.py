"""Opening, accepting and cancelling escrows, and the funding instructions they give."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from kustodia_domain.escrow.directory import MissingPayoutAccountError
from kustodia_domain.escrow.errors import InvalidEscrowTransitionError, NotAPartyError
from kustodia_domain.escrow.events import EscrowCancelled, EscrowOpened, RiskScreened
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.escrow_commands import EscrowCommand
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.queries import Viewer
from kustodia_domain.shared.errors import ValidationError
from tests.unit.services.scenario import AMOUNT, World, build_world, mxn


def _open(world: World, **changes: Any) -> OpenEscrow:
    """A payment from the payer to the payee, with ``changes`` applied."""
    base = OpenEscrow(
        creator_id=world.payer.id,
        kind=EscrowKind.STANDARD,
        creator_role=CreatorRole.PAYER,
        counterparty_email=world.payee.email,
        amount_minor=AMOUNT,
        currency="MXN",
        custody_percent=100,
        custody_days=10,
        description="a used car",
    )
    return attrs.evolve(base, **changes)


async def test_a_payment_by_the_payer_awaits_funds_with_instructions_to_the_payers_clabe(
    world: World,
) -> None:
    escrow = await world.uc.open_escrow.execute(_open(world))
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.AWAITING_FUNDS
    assert (stored.payer_id, stored.payee_id) == (world.payer.id, world.payee.id)
    assert stored.created_by is CreatorRole.PAYER
    assert stored.funding_deadline == world.app.clock.now() + timedelta(days=7)
    instructions = stored.funding_instructions
    assert instructions is not None
    assert instructions.clabe == world.payer.deposit_clabe
    assert instructions.reference == stored.reference
    assert instructions.reference.isdigit()
    assert instructions.amount_due == mxn(AMOUNT)
    assert stored.fee == mxn(0)
    opened = await world.events(escrow.id, EscrowOpened)
    assert [(e.amount, e.amount_due, e.reference) for e in opened] == [
        (mxn(AMOUNT), mxn(AMOUNT), stored.reference)
    ]


async def test_both_parties_are_notified_of_a_new_escrow(world: World) -> None:
    escrow = await world.open()
    for user in (world.payer, world.payee):
        mine = await world.uc.notifications.mine(Viewer(user_id=user.id))
        assert [(n.kind, n.escrow_id) for n in mine] == [("escrow_opened", escrow.id)]
    assert await world.uc.notifications.mine(Viewer(user_id=world.outsider.id)) == []


async def test_each_escrow_gets_its_own_reference(world: World) -> None:
    first, second = await world.open(), await world.open()
    assert first.reference != second.reference


async def test_a_payment_request_by_the_payee_waits_for_the_payer_to_accept_it(
    world: World,
) -> None:
    request = await world.open(by=CreatorRole.PAYEE)
    assert (request.payer_id, request.payee_id) == (world.payer.id, world.payee.id)
    assert request.state is EscrowState.REQUESTED
    assert request.funding_instructions is None

    world.later(timedelta(days=2))
    accepted = await world.uc.accept_escrow.execute(
        EscrowCommand(escrow_id=request.id, actor_id=world.payer.id)
    )
    stored = await world.escrow(request.id)
    assert stored.state is accepted.state is EscrowState.AWAITING_FUNDS
    assert stored.funding_deadline == world.app.clock.now() + timedelta(days=7)
    instructions = stored.funding_instructions
    assert instructions is not None
    assert (instructions.clabe, instructions.amount_due) == (world.payer.deposit_clabe, mxn(AMOUNT))


async def test_only_the_payer_accepts_a_request_and_a_refused_accept_changes_nothing(
    world: World,
) -> None:
    request = await world.open(by=CreatorRole.PAYEE, commissions=((world.broker.email, 500),))
    before = world.snapshot()
    for actor in (world.payee, world.broker):
        with pytest.raises(NotAPartyError):
            await world.uc.accept_escrow.execute(
                EscrowCommand(escrow_id=request.id, actor_id=actor.id)
            )
    assert not world.changed_since(before)


async def test_a_payment_cannot_be_accepted_again(world: World) -> None:
    escrow = await world.open()
    with pytest.raises(InvalidEscrowTransitionError):
        await world.uc.accept_escrow.execute(
            EscrowCommand(escrow_id=escrow.id, actor_id=world.payer.id)
        )


async def test_an_unknown_counterparty_is_a_validation_error_on_counterparty_email(
    world: World,
) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.open_escrow.execute(_open(world, counterparty_email="ghost@example.mx"))
    assert error.value.field == "counterparty_email"
    assert not world.changed_since(before)


async def test_an_unknown_broker_is_a_validation_error_on_commissions(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.open_escrow.execute(_open(world, commissions=(("ghost@example.mx", 300),)))
    assert error.value.field == "commissions"
    assert not world.changed_since(before)


async def test_an_escrow_with_oneself_is_a_validation_error_on_counterparty_email(
    world: World,
) -> None:
    with pytest.raises(ValidationError) as error:
        await world.uc.open_escrow.execute(
            _open(world, creator_id=world.payee.id, counterparty_email=world.payee.email)
        )
    assert error.value.field == "counterparty_email"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_minor": 0}, "amount"),
        ({"custody_percent": 101}, "custody_percent"),
        ({"custody_days": 0}, "custody_days"),
        ({"custody_days": 366}, "custody_days"),
        ({"description": " "}, "description"),
        ({"currency": "MXNB"}, "currency"),
        ({"commissions": (("broker@example.mx", 5_001),)}, "commissions"),
    ],
)
async def test_terms_that_break_a_rule_are_refused_on_the_right_field(
    world: World, changes: dict[str, object], field: str
) -> None:
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.open_escrow.execute(_open(world, **changes))
    assert error.value.field == field
    assert not world.changed_since(before)


async def test_a_payment_to_a_payee_without_payout_account_is_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(MissingPayoutAccountError):
        await world.uc.open_escrow.execute(_open(world, counterparty_email=world.outsider.email))
    assert not world.changed_since(before)


async def test_a_request_by_a_payee_without_payout_account_is_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(MissingPayoutAccountError):
        await world.uc.open_escrow.execute(
            _open(
                world,
                creator_id=world.outsider.id,
                creator_role=CreatorRole.PAYEE,
                counterparty_email=world.payer.email,
            )
        )
    assert not world.changed_since(before)


async def test_a_broker_without_payout_account_is_refused(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(MissingPayoutAccountError):
        await world.uc.open_escrow.execute(_open(world, commissions=((world.outsider.email, 300),)))
    assert not world.changed_since(before)


async def test_a_broker_with_a_payout_account_takes_part_in_the_escrow(world: World) -> None:
    escrow = await world.open(commissions=((world.broker.email, 500),))
    stored = await world.escrow(escrow.id)
    assert [(c.broker_id, c.bps) for c in stored.terms.commissions] == [(world.broker.id, 500)]
    assert stored.involves(world.broker.id)


async def test_the_platform_fee_of_the_kind_is_added_on_top_of_the_amount_due() -> None:
    world = await build_world(
        policy=PlatformPolicy(fees=FeeSchedule(standard_bps=250, dual_approval_bps=400))
    )
    standard = await world.open(amount=1_000_000)
    dual = await world.open(kind=EscrowKind.DUAL_APPROVAL, amount=1_000_000)
    assert (standard.fee, standard.amount_due) == (mxn(25_000), mxn(1_025_000))
    assert (dual.fee, dual.amount_due) == (mxn(40_000), mxn(1_040_000))
    instructions = (await world.escrow(standard.id)).funding_instructions
    assert instructions is not None
    assert instructions.amount_due == mxn(1_025_000)


async def test_either_party_cancels_before_funding_but_a_broker_cannot(world: World) -> None:
    escrow = await world.open(commissions=((world.broker.email, 500),))
    with pytest.raises(NotAPartyError):
        await world.uc.cancel_escrow.execute(
            EscrowCommand(escrow_id=escrow.id, actor_id=world.broker.id)
        )
    await world.uc.cancel_escrow.execute(
        EscrowCommand(escrow_id=escrow.id, actor_id=world.payee.id)
    )
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.CANCELLED
    assert stored.funding_instructions is None
    cancelled = await world.events(escrow.id, EscrowCancelled)
    assert [(e.cancelled_by, e.refunded) for e in cancelled] == [(world.payee.id, mxn(0))]
    assert await world.payouts(escrow.id) == []


async def test_a_funded_escrow_cannot_be_cancelled(world: World) -> None:
    escrow = await world.funded()
    before = world.snapshot()
    for actor in (world.payer, world.payee):
        with pytest.raises(InvalidEscrowTransitionError):
            await world.uc.cancel_escrow.execute(
                EscrowCommand(escrow_id=escrow.id, actor_id=actor.id)
            )
    assert not world.changed_since(before)


async def test_every_new_escrow_is_screened_and_the_screening_is_in_its_timeline(
    world: World,
) -> None:
    escrow = await world.open()
    screened = await world.events(escrow.id, RiskScreened)
    assert [(e.operation, e.outcome, e.ruleset) for e in screened] == [
        ("escrow.create", "allow", "scripted-ruleset")
    ]
    event = world.risk.screened[-1]
    assert (event.kind, event.escrow_id, event.amount) == ("escrow.create", escrow.id, mxn(AMOUNT))
