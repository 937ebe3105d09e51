"""Payouts: sent once per idempotency key, confirmed, returned and reissued."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from kustodia_domain.escrow.errors import PayoutStateError
from kustodia_domain.escrow.events import (
    EscrowCompleted,
    EscrowFlaggedForReview,
    PayoutConfirmed,
    PayoutReturned,
    PayoutScheduled,
    PayoutSent,
)
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ports.payment_rail import (
    PaymentRail,
    PayoutOrder,
    PayoutReceipt,
    RailPayoutStatus,
)
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.payouts import PayoutNotice, ReissuePayout
from kustodia_domain.services.persistence import ASSESSMENT_TOPIC
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError, ValidationError
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import AMOUNT, PAYEE_PAYOUT, World, mxn

RAIL_CASH = Account.rail_cash(MXN)


class WorkerDied(BaseException):
    """The process ends mid-call: no handler of the dispatcher runs (not an ``Exception``)."""


class CrashAfterSendRail(PaymentRail):
    """Forwards to a real rail, then loses its first answers, as a worker that dies would.

    The rail has executed the order, but the dispatcher never gets to record it.
    """

    def __init__(self, rail: PaymentRail, crashes: int = 1) -> None:
        self.rail = rail
        self.crashes = crashes

    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        return await self.rail.issue_deposit_clabe(user_id)

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        receipt = await self.rail.send_payout(order)
        if self.crashes:
            self.crashes -= 1
            raise WorkerDied("the worker died before recording the payout")
        return receipt

    async def payout_status(self, payout_id: str) -> RailPayoutStatus:
        return await self.rail.payout_status(payout_id)


class SlowRail(CrashAfterSendRail):
    """A rail whose answer takes a moment, so two dispatchers overlap."""

    def __init__(self, rail: PaymentRail) -> None:
        super().__init__(rail, crashes=0)

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        await asyncio.sleep(0)
        return await super().send_payout(order)


async def _released(world: World, *, broker_bps: int = 0) -> Escrow:
    commissions = ((world.broker.email, broker_bps),) if broker_bps else ()
    escrow = await world.funded(commissions=commissions)
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    return await world.escrow(escrow.id)


async def test_dispatch_sends_each_payout_once_with_its_idempotency_key(world: World) -> None:
    escrow = await _released(world)
    [payout] = escrow.payouts
    assert await world.uc.dispatch_payouts.execute() == 1
    assert await world.uc.dispatch_payouts.execute() == 0
    [order] = world.app.rail.sent
    assert (order.payout_id, order.idempotency_key, order.amount, order.destination) == (
        payout.id,
        payout.idempotency_key,
        mxn(AMOUNT),
        PAYEE_PAYOUT,
    )
    assert escrow.reference in order.concept
    sent = (await world.escrow(escrow.id)).payout(payout.id)
    assert sent.status is PayoutStatus.SENT
    assert sent.rail_reference is not None
    assert await world.pending() == []
    assert [e.payout_id for e in await world.events(escrow.id, PayoutSent)] == [payout.id]


async def test_a_crash_between_the_rail_call_and_the_recording_never_pays_twice(
    world: World,
) -> None:
    escrow = await _released(world)
    [payout] = escrow.payouts
    crashing = attrs.evolve(world.uc.dispatch_payouts, rail=CrashAfterSendRail(world.app.rail))
    with pytest.raises(WorkerDied):
        await crashing.execute()
    assert len(world.app.rail.sent) == 1
    assert (await world.escrow(escrow.id)).payout(payout.id).status is PayoutStatus.PENDING
    assert len(await world.pending()) == 1

    # The crashed pass still holds the lease: nobody sends the payout until it expires.
    assert await world.uc.dispatch_payouts.execute() == 0
    world.later(world.uc.dispatch_payouts.policy.lease)
    assert await world.uc.dispatch_payouts.execute() == 1
    assert await world.uc.dispatch_payouts.execute() == 0
    assert world.sent_keys() == [payout.idempotency_key]
    recorded = (await world.escrow(escrow.id)).payout(payout.id)
    assert recorded.status is PayoutStatus.SENT
    assert recorded.rail_reference == "SBX0000000001"
    assert await world.pending() == []


async def test_two_dispatchers_at_once_still_pay_each_payout_once(world: World) -> None:
    escrow = await _released(world, broker_bps=500)
    slow = attrs.evolve(world.uc.dispatch_payouts, rail=SlowRail(world.app.rail))
    await asyncio.gather(slow.execute(), slow.execute())
    assert sorted(world.sent_keys()) == sorted(p.idempotency_key for p in escrow.payouts)
    stored = await world.escrow(escrow.id)
    assert {p.status for p in stored.payouts} == {PayoutStatus.SENT}
    assert len(await world.events(escrow.id, PayoutSent)) == 2
    await world.assert_books_balance()


async def test_confirming_every_payout_completes_the_escrow_and_empties_what_is_owed(
    world: World,
) -> None:
    escrow = await _released(world, broker_bps=500)
    await world.uc.dispatch_payouts.execute()
    first, second = escrow.payouts
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=first.id))
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=second.id))
    completed = await world.escrow(escrow.id)
    assert completed.state is EscrowState.COMPLETED
    assert len(await world.events(escrow.id, EscrowCompleted)) == 1
    assert await world.held(Account.payable(world.payee.id, MXN)) == 0
    assert await world.held(Account.payable(world.broker.id, MXN)) == 0
    assert await world.held(RAIL_CASH) == 0

    ledger_before = len(await world.ledger(escrow.id))
    events_before = len(await world.timeline(escrow.id))
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=second.id))
    assert len(await world.ledger(escrow.id)) == ledger_before
    assert len(await world.timeline(escrow.id)) == events_before
    await world.assert_books_balance()


async def test_a_returned_payout_puts_the_money_back_owed_and_flags_the_escrow(
    world: World,
) -> None:
    escrow = await _released(world)
    await world.dispatch_and_confirm(escrow.id)
    [payout] = escrow.payouts
    assert await world.held(Account.payable(world.payee.id, MXN)) == 0

    await world.uc.return_payout.execute(PayoutNotice(payout_id=payout.id))
    stored = await world.escrow(escrow.id)
    assert stored.payout(payout.id).status is PayoutStatus.RETURNED
    assert stored.needs_review is True
    assert any(payout.id in reason for reason in stored.review_reasons)
    assert await world.held(Account.payable(world.payee.id, MXN)) == AMOUNT
    assert await world.held(RAIL_CASH) == AMOUNT
    assert [e.payout_id for e in await world.events(escrow.id, PayoutReturned)] == [payout.id]
    assert len(await world.events(escrow.id, EscrowFlaggedForReview)) == 1

    events_before = len(await world.timeline(escrow.id))
    await world.uc.return_payout.execute(PayoutNotice(payout_id=payout.id))
    assert len(await world.timeline(escrow.id)) == events_before
    await world.assert_books_balance()


async def test_a_returned_payout_is_reissued_as_a_new_attempt_with_a_new_key(
    world: World,
) -> None:
    escrow = await _released(world)
    [original] = escrow.payouts
    await world.uc.dispatch_payouts.execute()
    await world.uc.return_payout.execute(PayoutNotice(payout_id=original.id))
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED

    new_account = Clabe.build("021", "180", "4242")
    await world.uc.reissue_payout.execute(
        ReissuePayout(payout_id=original.id, destination=new_account.value)
    )
    stored = await world.escrow(escrow.id)
    reissued = next(p for p in stored.payouts if p.attempt == 2)
    assert (reissued.ordinal, reissued.leg, reissued.amount, reissued.destination) == (
        original.ordinal,
        PayoutLeg.RELEASE,
        original.amount,
        new_account,
    )
    assert reissued.id != original.id
    assert reissued.idempotency_key != original.idempotency_key
    scheduled = await world.events(escrow.id, PayoutScheduled)
    assert [e.idempotency_key for e in scheduled] == [
        original.idempotency_key,
        reissued.idempotency_key,
    ]

    assert await world.uc.dispatch_payouts.execute() == 1
    assert world.sent_keys() == [original.idempotency_key, reissued.idempotency_key]
    assert world.app.rail.sent[-1].destination == new_account
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=reissued.id))
    assert (await world.escrow(escrow.id)).state is EscrowState.COMPLETED
    assert await world.held(Account.payable(world.payee.id, MXN)) == 0
    await world.assert_books_balance()


async def test_a_reissue_defaults_to_the_original_destination(world: World) -> None:
    escrow = await _released(world)
    [original] = escrow.payouts
    await world.uc.dispatch_payouts.execute()
    await world.uc.return_payout.execute(PayoutNotice(payout_id=original.id))
    await world.uc.reissue_payout.execute(ReissuePayout(payout_id=original.id))
    reissued = (await world.escrow(escrow.id)).payouts[-1]
    assert (reissued.attempt, reissued.destination) == (2, PAYEE_PAYOUT)


async def test_payout_steps_out_of_order_are_refused_and_change_nothing(world: World) -> None:
    escrow = await _released(world)
    [payout] = escrow.payouts
    before = world.snapshot()
    with pytest.raises(PayoutStateError):
        await world.uc.return_payout.execute(PayoutNotice(payout_id=payout.id))
    with pytest.raises(PayoutStateError):
        await world.uc.reissue_payout.execute(ReissuePayout(payout_id=payout.id))
    with pytest.raises(NotFoundError):
        await world.uc.confirm_payout.execute(PayoutNotice(payout_id="esc_999999-p1"))
    assert not world.changed_since(before)

    await world.uc.dispatch_payouts.execute()
    await world.uc.return_payout.execute(PayoutNotice(payout_id=payout.id))
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.reissue_payout.execute(
            ReissuePayout(payout_id=payout.id, destination="012180000000000000")
        )
    assert error.value.field == "clabe"
    with pytest.raises(PayoutStateError):
        await world.uc.confirm_payout.execute(PayoutNotice(payout_id=payout.id))
    assert not world.changed_since(before)


async def test_confirmation_moves_the_money_out_of_the_ledger(world: World) -> None:
    escrow = await _released(world)
    [payout] = escrow.payouts
    await world.uc.dispatch_payouts.execute()
    assert await world.held(RAIL_CASH) == AMOUNT
    await world.uc.confirm_payout.execute(PayoutNotice(payout_id=payout.id))
    assert await world.held(RAIL_CASH) == 0
    assert [e.payout_id for e in await world.events(escrow.id, PayoutConfirmed)] == [payout.id]


async def test_older_pending_work_that_cannot_be_sent_never_starves_the_payouts_behind_it(
    world: World,
) -> None:
    disputed = await world.funded()
    await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=disputed.id, actor_id=world.payer.id, reason="r", details="d")
    )
    held = await world.funded(custody_percent=50)
    await world.uc.hold_escrow.execute(
        HoldEscrow(escrow_id=held.id, admin_id=world.admin.id, reason="kyc")
    )
    escrow = await _released(world)
    assert len(await world.pending(ASSESSMENT_TOPIC)) == 1
    assert await world.uc.dispatch_payouts.execute(limit=1) == 1
    assert [o.payout_id for o in world.app.rail.sent] == [p.id for p in escrow.payouts]
    assert await world.uc.dispatch_payouts.execute(limit=1) == 0
