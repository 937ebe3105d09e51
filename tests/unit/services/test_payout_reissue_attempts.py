"""Reissue continues a payout's chain of attempts from its latest attempt, and only from there.

An attempt that a later one superseded stays ``returned`` forever; reissuing it again would
rebuild the attempt that already exists (same id, same idempotency key), which the outbox and
the stores skip as already done: the money would be scheduled and never sent.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kustodia_domain.escrow.errors import PayoutStateError
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutLeg, PayoutStatus
from kustodia_domain.services.escrow_commands import ApproveRelease, EscrowCommand
from kustodia_domain.services.payouts import PayoutNotice, ReissuePayout
from kustodia_domain.shared.clabe import Clabe
from tests.support.escrows import DIRECTORY, PAYEE, PAYEE_PAYOUT, PAYER, T0, funded_escrow
from tests.unit.services.scenario import SOURCE_B, World

ANOTHER_ACCOUNT = Clabe.build("002", "180", "7777")


def _returned(escrow: Escrow, payout: Payout, day: int) -> None:
    at = T0 + timedelta(days=day)
    escrow.mark_payout_sent(payout.id, at, None)
    escrow.return_payout(payout.id, at)


def _superseded_escrow(*, second_returned: bool) -> tuple[Escrow, Payout, Payout]:
    """A released escrow whose payout was returned and reissued; attempt 2 maybe returned too."""
    escrow = funded_escrow()
    escrow.approve_release(PAYER, T0, DIRECTORY)
    (first,) = escrow.payouts
    _returned(escrow, first, day=1)
    second = escrow.reissue_payout(first.id, PAYEE_PAYOUT, T0 + timedelta(days=2))
    if second_returned:
        _returned(escrow, second, day=3)
    escrow.pull_events()
    return escrow, first, second


def _names_current(current: Payout) -> str:
    """The refusal names the attempt to reissue instead."""
    return re.escape(f"superseded by attempt {current.attempt} ({current.id}")


def _ids(escrow: Escrow) -> list[tuple[str, PayoutStatus]]:
    return [(p.id, p.status) for p in escrow.payouts]


# ---------------------------------------------------------------------------------- domain


@pytest.mark.parametrize("second_returned", [True, False], ids=["returned", "in-flight"])
def test_a_superseded_attempt_is_refused_naming_the_current_one_and_nothing_changes(
    second_returned: bool,
) -> None:
    escrow, first, second = _superseded_escrow(second_returned=second_returned)
    before = _ids(escrow)

    with pytest.raises(PayoutStateError, match=_names_current(second)):
        escrow.reissue_payout(first.id, ANOTHER_ACCOUNT, T0 + timedelta(days=4))

    assert escrow.current_attempt(first.id) is second
    assert _ids(escrow) == before
    assert escrow.pull_events() == []


def test_the_current_attempt_is_reissued_as_the_next_attempt() -> None:
    escrow, first, second = _superseded_escrow(second_returned=True)
    third = escrow.reissue_payout(second.id, ANOTHER_ACCOUNT, T0 + timedelta(days=4))
    assert (third.id, third.attempt, third.destination) == (f"{first.id}-a3", 3, ANOTHER_ACCOUNT)
    assert escrow.current_attempt(first.id) is third


def test_an_escrow_never_schedules_a_payout_it_already_holds() -> None:
    # No command reaches this any more; the invariant keeps a future path from doing so.
    escrow, first, _ = _superseded_escrow(second_returned=True)
    before = _ids(escrow)

    for attempt in (1, 2):
        with pytest.raises(PayoutStateError, match="never scheduled twice"):
            escrow._schedule(
                PayoutLeg.RELEASE,
                PAYEE,
                first.amount,
                ANOTHER_ACCOUNT,
                T0 + timedelta(days=4),
                ordinal=first.ordinal,
                attempt=attempt,
            )

    assert _ids(escrow) == before
    assert escrow.pull_events() == []


# ------------------------------------------------------------------------------- use cases


async def _second_attempt_returned(world: World, escrow_id: str) -> tuple[Payout, Payout]:
    """Send the escrow's one payout, return it, reissue it, send and return attempt 2 too."""
    [first] = (await world.escrow(escrow_id)).payouts
    await world.uc.dispatch_payouts.execute()
    await world.uc.return_payout.execute(PayoutNotice(payout_id=first.id))
    await world.uc.reissue_payout.execute(ReissuePayout(payout_id=first.id))
    await world.uc.dispatch_payouts.execute()
    second = next(p for p in (await world.escrow(escrow_id)).payouts if p.attempt == 2)
    await world.uc.return_payout.execute(PayoutNotice(payout_id=second.id))
    return first, second


async def test_reissuing_a_superseded_release_attempt_is_refused_and_the_current_one_is_sent(
    world: World,
) -> None:
    escrow = await world.funded()
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    first, second = await _second_attempt_returned(world, escrow.id)
    before = world.snapshot()

    with pytest.raises(PayoutStateError, match=_names_current(second)):
        await world.uc.reissue_payout.execute(
            ReissuePayout(payout_id=first.id, destination=ANOTHER_ACCOUNT.value)
        )
    assert not world.changed_since(before)

    await world.uc.reissue_payout.execute(
        ReissuePayout(payout_id=second.id, destination=ANOTHER_ACCOUNT.value)
    )
    assert await world.uc.dispatch_payouts.execute() == 1
    ids = [p.id for p in (await world.escrow(escrow.id)).payouts]
    assert ids == [first.id, second.id, f"{first.id}-a3"]
    assert world.app.rail.sent[-1].destination == ANOTHER_ACCOUNT
    assert len(set(world.sent_keys())) == len(world.sent_keys()) == 3


async def test_a_superseded_refund_attempt_is_refused_before_it_is_screened(
    world: World,
) -> None:
    escrow = await world.open()
    await world.deposit(escrow, 1_500_000, source=SOURCE_B)
    await world.uc.cancel_escrow.execute(
        EscrowCommand(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    first, second = await _second_attempt_returned(world, escrow.id)
    assert first.leg is PayoutLeg.REFUND
    before, screened = world.snapshot(), world.risk.kinds()

    # A refund to another account is screened at once; a refused reissue must not be.
    with pytest.raises(PayoutStateError, match=_names_current(second)):
        await world.uc.reissue_payout.execute(
            ReissuePayout(payout_id=first.id, destination=ANOTHER_ACCOUNT.value)
        )

    assert world.risk.kinds() == screened
    assert not world.changed_since(before)
