"""Deposits reported by the rail: matching, partial funding, excess, replays, suspense, bounces."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from kustodia_domain.escrow.events import DepositBounced, DepositReceived, EscrowFunded
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.services.escrow_commands import EscrowCommand
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import (
    AMOUNT,
    CUSTODY_DAYS,
    PAYEE_PAYOUT,
    SOURCE_A,
    SOURCE_B,
    World,
    mxn,
)

RAIL_CASH = Account.rail_cash(MXN)
SUSPENSE = Account.suspense(MXN)


async def test_a_deposit_matching_clabe_and_reference_funds_the_escrow(world: World) -> None:
    escrow = await world.open()
    outcome = await world.deposit(escrow, AMOUNT)
    assert outcome is DepositOutcome.APPLIED
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert stored.funded_amount == stored.custody_balance == mxn(AMOUNT)
    assert await world.held(Account.custody(escrow.id, MXN)) == AMOUNT
    assert await world.held(RAIL_CASH) == AMOUNT
    assert stored.funding_instructions is None
    await world.assert_books_balance()


async def test_partial_deposits_accumulate_until_the_amount_due_is_covered(world: World) -> None:
    escrow = await world.open()
    assert await world.deposit(escrow, 2_000_000) is DepositOutcome.APPLIED
    partial = await world.escrow(escrow.id)
    assert partial.state is EscrowState.AWAITING_FUNDS
    assert partial.funded_amount == mxn(2_000_000)
    assert partial.funding_instructions is not None
    assert partial.funding_instructions.amount_due == mxn(AMOUNT - 2_000_000)
    assert partial.funded_at is None

    world.later(timedelta(days=2))
    assert await world.deposit(escrow, AMOUNT - 2_000_000, source=SOURCE_B) is (
        DepositOutcome.APPLIED
    )
    funded = await world.escrow(escrow.id)
    assert funded.state is EscrowState.FUNDED
    assert [e.funded_total for e in await world.events(escrow.id, DepositReceived)] == [
        mxn(2_000_000),
        mxn(AMOUNT),
    ]
    # The custody clock starts at funding, not at creation.
    assert funded.funded_at == world.app.clock.now()
    assert funded.custody_ends_at == world.app.clock.now() + timedelta(days=CUSTODY_DAYS)
    assert await world.payouts(escrow.id) == []
    await world.assert_books_balance()


async def test_the_excess_of_a_deposit_is_refunded_to_the_account_it_came_from(
    world: World,
) -> None:
    escrow = await world.open()
    await world.deposit(escrow, 1_000_000, source=SOURCE_A)
    await world.deposit(escrow, AMOUNT, source=SOURCE_B)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert stored.custody_balance == mxn(AMOUNT)
    [refund] = await world.payouts(escrow.id)
    assert (refund.leg, refund.amount, refund.destination, refund.beneficiary_id) == (
        PayoutLeg.EXCESS_REFUND,
        mxn(1_000_000),
        SOURCE_B,
        world.payer.id,
    )
    assert await world.held(Account.payable(world.payer.id, MXN)) == 1_000_000
    assert [m.payload["payout_id"] for m in await world.pending()] == [refund.id]
    assert await world.uc.dispatch_payouts.execute() == 1
    assert [(o.amount, o.destination) for o in world.app.rail.sent] == [(mxn(1_000_000), SOURCE_B)]
    await world.assert_books_balance()


async def test_a_replayed_tracking_key_is_a_duplicate_and_changes_nothing(world: World) -> None:
    escrow = await world.open()
    partial = world.deposit_command(escrow, 1_000_000)
    await world.uc.record_deposit.execute(partial)
    before = world.snapshot()
    assert await world.uc.record_deposit.execute(partial) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)

    full = world.deposit_command(escrow, AMOUNT - 1_000_000)
    await world.uc.record_deposit.execute(full)
    before = world.snapshot()
    for replay in (partial, full):
        assert await world.uc.record_deposit.execute(replay) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)
    assert (await world.escrow(escrow.id)).funded_amount == mxn(AMOUNT)


async def test_a_deposit_with_an_unknown_reference_is_held_in_suspense_for_reconciliation(
    world: World,
) -> None:
    escrow = await world.open()
    command = world.deposit_command(escrow, 123_45, reference="9999999")
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.UNMATCHED
    assert await world.held(SUSPENSE) == 123_45
    assert await world.held(RAIL_CASH) == 123_45
    [queued] = await world.unmatched()
    assert (queued.tracking_key, queued.reference, queued.amount, queued.source_clabe) == (
        command.tracking_key,
        "9999999",
        mxn(123_45),
        SOURCE_A,
    )
    stored = await world.escrow(escrow.id)
    assert (stored.state, stored.deposits) == (EscrowState.AWAITING_FUNDS, [])
    await world.assert_books_balance()


async def test_a_deposit_to_the_wrong_clabe_is_held_in_suspense_even_with_a_valid_reference(
    world: World,
) -> None:
    escrow = await world.open()
    command = world.deposit_command(escrow, AMOUNT, clabe=world.payee.deposit_clabe.value)
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.UNMATCHED
    assert await world.held(SUSPENSE) == AMOUNT
    assert [d.clabe for d in await world.unmatched()] == [world.payee.deposit_clabe.value]
    assert (await world.escrow(escrow.id)).state is EscrowState.AWAITING_FUNDS

    before = world.snapshot()
    assert await world.uc.record_deposit.execute(command) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)


async def test_a_deposit_to_a_funded_escrow_is_bounced_back_to_its_source_whole(
    world: World,
) -> None:
    escrow = await world.funded()
    assert await world.deposit(escrow, 500_00, source=SOURCE_B) is DepositOutcome.APPLIED
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert stored.custody_balance == mxn(AMOUNT)
    [bounce] = await world.payouts(escrow.id)
    assert (bounce.leg, bounce.amount, bounce.destination) == (
        PayoutLeg.BOUNCE,
        mxn(500_00),
        SOURCE_B,
    )
    assert [e.amount for e in await world.events(escrow.id, DepositBounced)] == [mxn(500_00)]
    kinds = [n.kind for n in await world.uc.notifications.mine(Viewer(user_id=world.payer.id))]
    assert "deposit_bounced" in kinds
    await world.assert_books_balance()


async def test_a_deposit_to_a_request_not_yet_accepted_is_bounced(world: World) -> None:
    request = await world.open(by=CreatorRole.PAYEE)
    assert await world.deposit(request, AMOUNT) is DepositOutcome.APPLIED
    stored = await world.escrow(request.id)
    assert stored.state is EscrowState.REQUESTED
    assert [(p.leg, p.destination) for p in stored.payouts] == [(PayoutLeg.BOUNCE, SOURCE_A)]


async def test_an_accepted_request_is_funded_by_the_payers_deposit(world: World) -> None:
    request = await world.open(by=CreatorRole.PAYEE)
    await world.uc.accept_escrow.execute(
        EscrowCommand(escrow_id=request.id, actor_id=world.payer.id)
    )
    assert await world.deposit(request) is DepositOutcome.APPLIED
    assert (await world.escrow(request.id)).state is EscrowState.FUNDED


@pytest.mark.parametrize(
    ("amount", "source", "field"),
    [(0, SOURCE_A.value, "amount"), (-5, SOURCE_A.value, "amount"), (100, "123", "clabe")],
)
async def test_a_malformed_deposit_is_a_validation_error_and_records_nothing(
    world: World, amount: int, source: str, field: str
) -> None:
    escrow = await world.open()
    command = world.deposit_command(escrow, 100)
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.record_deposit.execute(
            attrs.evolve(command, amount_minor=amount, source_clabe=source)
        )
    assert error.value.field == field
    assert not world.changed_since(before)


async def test_cancelling_after_a_partial_deposit_refunds_it_to_its_source(world: World) -> None:
    escrow = await world.open()
    await world.deposit(escrow, 1_500_000, source=SOURCE_B)
    await world.uc.cancel_escrow.execute(
        EscrowCommand(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.CANCELLED
    assert stored.custody_balance == mxn(0)
    assert [(p.leg, p.amount, p.destination) for p in stored.payouts] == [
        (PayoutLeg.REFUND, mxn(1_500_000), SOURCE_B)
    ]
    assert await world.held(Account.custody(escrow.id, MXN)) == 0
    await world.assert_books_balance()


async def test_a_zero_custody_escrow_pays_the_seller_at_funding_and_completes_when_paid(
    world: World,
) -> None:
    escrow = await world.funded(custody_percent=0)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.RELEASED
    assert [(p.leg, p.amount, p.destination) for p in stored.payouts] == [
        (PayoutLeg.IMMEDIATE, mxn(AMOUNT), PAYEE_PAYOUT)
    ]
    await world.dispatch_and_confirm(escrow.id)
    completed = await world.escrow(escrow.id)
    assert completed.state is EscrowState.COMPLETED
    assert all(p.status is PayoutStatus.CONFIRMED for p in completed.payouts)
    await world.assert_books_balance()


async def test_a_partial_custody_escrow_pays_the_immediate_share_at_funding_only(
    world: World,
) -> None:
    escrow = await world.funded(custody_percent=30)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert stored.custody_balance == mxn(AMOUNT * 30 // 100)
    assert [(p.leg, p.amount) for p in stored.payouts] == [
        (PayoutLeg.IMMEDIATE, mxn(AMOUNT * 70 // 100))
    ]
    assert [e.immediate_amount for e in await world.events(escrow.id, EscrowFunded)] == [
        mxn(AMOUNT * 70 // 100)
    ]


async def test_a_full_custody_escrow_pays_nothing_before_release(world: World) -> None:
    escrow = await world.funded(custody_percent=100)
    assert await world.payouts(escrow.id) == []
    assert await world.uc.dispatch_payouts.execute() == 0
    assert world.app.rail.sent == []


async def test_one_transfer_reported_for_two_cancelled_escrows_is_bounced_once(
    world: World,
) -> None:
    # Both escrows bounce a deposit with the same postings (rail cash to the source's refund):
    # only the escrow tag on the ledger key tells the second report from a replay of the first.
    first, second = await world.open(), await world.open()
    for escrow in (first, second):
        await world.uc.cancel_escrow.execute(
            EscrowCommand(escrow_id=escrow.id, actor_id=world.payer.id)
        )
    transfer = world.deposit_command(first, 500_00, key="trk-shared")
    assert await world.uc.record_deposit.execute(transfer) is DepositOutcome.APPLIED

    before = world.snapshot()
    misreported = world.deposit_command(second, 500_00, key="trk-shared")
    assert await world.uc.record_deposit.execute(misreported) is DepositOutcome.DUPLICATE
    assert not world.changed_since(before)
    assert not (await world.escrow(second.id)).payouts
    assert [p.leg for p in (await world.escrow(first.id)).payouts] == [PayoutLeg.BOUNCE]
    await world.assert_books_balance()
