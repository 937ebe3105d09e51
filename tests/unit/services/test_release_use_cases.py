"""Release by approval and by the scheduler, reminders, holds, expiry and yield."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from kustodia_adapters.in_memory.yield_rate import FixedYieldRate
from kustodia_domain.escrow.errors import InvalidEscrowTransitionError, SettlementRuleError
from kustodia_domain.escrow.events import (
    SETTLEMENT_EVENTS,
    EscrowExpired,
    FundsReleased,
    MilestoneReleased,
    ReleaseApproved,
    ReleaseReminderDue,
    YieldAccrued,
    YieldDistributed,
)
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease, EscrowCommand
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.run_due_jobs import RunDueJobsHandler
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import MXN
from tests.unit.services.scenario import (
    AMOUNT,
    BROKER_PAYOUT,
    PAYEE_PAYOUT,
    SOURCE_A,
    SOURCE_B,
    TREASURY,
    World,
    mxn,
)


async def _approve(
    world: World, escrow: Escrow, actor_id: UserId, milestone: str | None = None
) -> Escrow:
    return await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=actor_id, milestone=milestone)
    )


async def _settlements(world: World, escrow_id: str) -> int:
    return sum(isinstance(e, SETTLEMENT_EVENTS) for e in await world.timeline(escrow_id))


def _to_deadline(world: World, escrow: Escrow, offset: timedelta = timedelta(0)) -> None:
    """Move the clock to the escrow's custody deadline plus ``offset``."""
    assert escrow.custody_ends_at is not None
    world.app.clock.set(escrow.custody_ends_at + offset)


# ---------------------------------------------------------------------- approvals
async def test_the_payers_approval_releases_a_standard_escrow_to_the_payees_account(
    world: World,
) -> None:
    escrow = await world.funded()
    await _approve(world, escrow, world.payer.id)
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.RELEASED
    assert stored.custody_balance == mxn(0)
    assert [(p.leg, p.amount, p.destination, p.beneficiary_id) for p in stored.payouts] == [
        (PayoutLeg.RELEASE, mxn(AMOUNT), PAYEE_PAYOUT, world.payee.id)
    ]
    assert [e.reason for e in await world.events(escrow.id, FundsReleased)] == ["standard_approval"]
    assert await world.held(Account.payable(world.payee.id, MXN)) == AMOUNT
    assert len(await world.pending()) == 1
    kinds = [n.kind for n in await world.uc.notifications.mine(Viewer(user_id=world.payee.id))]
    assert "funds_released" in kinds
    await world.assert_books_balance()


async def test_the_payees_approval_alone_does_not_release_a_standard_escrow(
    world: World,
) -> None:
    escrow = await world.funded()
    await _approve(world, escrow, world.payee.id)
    stored = await world.escrow(escrow.id)
    assert (stored.state, stored.payee_approved, stored.payouts) == (EscrowState.FUNDED, True, [])
    assert [e.party for e in await world.events(escrow.id, ReleaseApproved)] == ["payee"]


async def test_a_dual_approval_escrow_releases_only_when_both_parties_approved(
    world: World,
) -> None:
    escrow = await world.funded(kind=EscrowKind.DUAL_APPROVAL)
    await _approve(world, escrow, world.payer.id)
    assert (await world.escrow(escrow.id)).state is EscrowState.FUNDED
    await _approve(world, escrow, world.payer.id)  # a repeated approval changes nothing
    assert len(await world.events(escrow.id, ReleaseApproved)) == 1
    await _approve(world, escrow, world.payee.id)
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED
    assert [e.reason for e in await world.events(escrow.id, FundsReleased)] == [
        "dual_approval_approval"
    ]


async def test_a_released_escrow_cannot_be_approved_again_and_settles_once(world: World) -> None:
    escrow = await world.funded()
    await _approve(world, escrow, world.payer.id)
    before = world.snapshot()
    for actor in (world.payer, world.payee):
        with pytest.raises(InvalidEscrowTransitionError):
            await _approve(world, escrow, actor.id)
    assert not world.changed_since(before)
    assert await _settlements(world, escrow.id) == 1


async def test_an_unfunded_escrow_cannot_be_approved(world: World) -> None:
    escrow = await world.open()
    with pytest.raises(InvalidEscrowTransitionError):
        await _approve(world, escrow, world.payer.id)


async def test_a_release_pays_the_broker_its_commission_out_of_the_sellers_proceeds(
    world: World,
) -> None:
    escrow = await world.funded(commissions=((world.broker.email, 500),))
    await _approve(world, escrow, world.payer.id)
    payouts = await world.payouts(escrow.id)
    assert sorted((p.leg, p.amount, p.destination) for p in payouts) == sorted(
        [
            (PayoutLeg.RELEASE, mxn(AMOUNT * 95 // 100), PAYEE_PAYOUT),
            (PayoutLeg.COMMISSION, mxn(AMOUNT * 5 // 100), BROKER_PAYOUT),
        ]
    )
    await world.assert_books_balance()


async def test_milestones_release_one_at_a_time_and_the_last_one_settles(world: World) -> None:
    opened = await world.open(milestones=(("design", 4_000), ("delivery", 6_000)))
    await world.deposit(opened)
    with pytest.raises(SettlementRuleError):
        await _approve(world, opened, world.payer.id, "nope")
    await _approve(world, opened, world.payer.id, "design")
    partly = await world.escrow(opened.id)
    assert partly.state is EscrowState.FUNDED
    assert partly.custody_balance == mxn(AMOUNT * 60 // 100)
    assert [e.milestone for e in await world.events(opened.id, MilestoneReleased)] == ["design"]
    await _approve(world, opened, world.payer.id, "delivery")
    done = await world.escrow(opened.id)
    assert done.state is EscrowState.RELEASED
    assert [p.amount for p in done.payouts] == [mxn(AMOUNT * 40 // 100), mxn(AMOUNT * 60 // 100)]
    await world.assert_books_balance()


# ---------------------------------------------------------------------- the scheduler
async def test_the_scheduler_releases_a_standard_escrow_at_its_deadline_and_not_before(
    world: World,
) -> None:
    escrow = await world.funded()
    _to_deadline(world, escrow, -timedelta(seconds=1))
    early = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert early.released == 0
    assert (await world.escrow(escrow.id)).state is EscrowState.FUNDED

    world.later(timedelta(seconds=1))
    report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert (report.released, report.skipped) == (1, [])
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.RELEASED
    assert [e.reason for e in await world.events(escrow.id, FundsReleased)] == ["deadline"]
    released = await world.payouts(escrow.id, PayoutLeg.RELEASE)
    assert [(p.amount, p.destination) for p in released] == [(mxn(AMOUNT), PAYEE_PAYOUT)]

    world.later(timedelta(days=1))
    again = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert again.released == 0
    assert await _settlements(world, escrow.id) == 1
    await world.assert_books_balance()


async def test_the_custody_clock_runs_from_funding_so_late_funding_is_not_released_early(
    world: World,
) -> None:
    escrow = await world.open(custody_days=3)
    world.later(timedelta(days=5))
    await world.deposit(escrow)
    report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert report.released == 0
    stored = await world.escrow(escrow.id)
    assert stored.custody_ends_at == world.app.clock.now() + timedelta(days=3)


async def test_the_scheduler_never_releases_a_dual_approval_escrow_but_reminds_once_a_day(
    world: World,
) -> None:
    escrow = await world.funded(kind=EscrowKind.DUAL_APPROVAL)
    _to_deadline(world, escrow)
    first = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert (first.released, first.reminded) == (0, 1)
    world.later(timedelta(hours=6))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).reminded == 0
    world.later(timedelta(hours=18))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).reminded == 1

    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.FUNDED
    assert len(await world.events(escrow.id, ReleaseReminderDue)) == 2
    assert await world.events(escrow.id, FundsReleased) == []
    for user in (world.payer, world.payee):
        kinds = [n.kind for n in await world.uc.notifications.mine(Viewer(user_id=user.id))]
        assert kinds.count("release_reminder") == 2
    await _approve(world, escrow, world.payee.id)
    await _approve(world, escrow, world.payer.id)
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED


async def test_the_scheduler_never_releases_a_disputed_escrow(world: World) -> None:
    escrow = await world.funded()
    _to_deadline(world, escrow, -timedelta(minutes=1))
    await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="late", details="x")
    )
    world.later(timedelta(days=30))
    report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert report.released == 0
    assert (await world.escrow(escrow.id)).state is EscrowState.DISPUTED
    assert await _settlements(world, escrow.id) == 0


async def test_the_scheduler_never_releases_a_held_escrow_until_the_hold_is_cleared(
    world: World,
) -> None:
    escrow = await world.funded()
    await world.uc.hold_escrow.execute(
        HoldEscrow(escrow_id=escrow.id, admin_id=world.admin.id, reason="kyc review")
    )
    _to_deadline(world, escrow, timedelta(days=3))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).released == 0
    held = await world.escrow(escrow.id)
    assert (held.state, held.hold_reason) == (EscrowState.ON_HOLD, "kyc review")
    with pytest.raises(InvalidEscrowTransitionError):
        await _approve(world, escrow, world.payer.id)

    await world.uc.clear_hold.execute(HoldEscrow(escrow_id=escrow.id, admin_id=world.admin.id))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).released == 1
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED


async def test_a_hold_needs_a_reason_and_a_funded_escrow(world: World) -> None:
    funded, unfunded = await world.funded(), await world.open()
    before = world.snapshot()
    with pytest.raises(ValidationError) as error:
        await world.uc.hold_escrow.execute(
            HoldEscrow(escrow_id=funded.id, admin_id=world.admin.id, reason="  ")
        )
    assert error.value.field == "reason"
    with pytest.raises(InvalidEscrowTransitionError):
        await world.uc.hold_escrow.execute(
            HoldEscrow(escrow_id=unfunded.id, admin_id=world.admin.id, reason="check")
        )
    with pytest.raises(InvalidEscrowTransitionError):
        await world.uc.clear_hold.execute(HoldEscrow(escrow_id=funded.id, admin_id=world.admin.id))
    assert not world.changed_since(before)


# ---------------------------------------------------------------------- expiry
async def test_an_unfunded_escrow_expires_after_the_funding_window_and_refunds_deposits(
    world: World,
) -> None:
    escrow = await world.open()
    await world.deposit(escrow, 1_000_000, source=SOURCE_A)
    await world.deposit(escrow, 500_000, source=SOURCE_B)
    world.later(timedelta(days=7) - timedelta(seconds=1))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).expired == 0

    world.later(timedelta(seconds=1))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).expired == 1
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.EXPIRED
    assert sorted((p.leg, p.amount, p.destination) for p in stored.payouts) == sorted(
        [
            (PayoutLeg.REFUND, mxn(1_000_000), SOURCE_A),
            (PayoutLeg.REFUND, mxn(500_000), SOURCE_B),
        ]
    )
    assert [e.refunded for e in await world.events(escrow.id, EscrowExpired)] == [mxn(1_500_000)]
    assert await world.held(Account.custody(escrow.id, MXN)) == 0
    assert await world.uc.dispatch_payouts.execute() == 2
    await world.assert_books_balance()


async def test_the_scheduler_reads_due_escrows_a_page_at_a_time_and_runs_every_one(
    world: World,
) -> None:
    opened = [await world.open() for _ in range(3)]
    in_custody = [await world.funded(custody_days=30) for _ in range(3)]
    world.later(timedelta(days=8))
    # At a zero rate the escrows in custody accrue nothing and stay due after their run: the
    # next page starts after the last one read, not again from the first.
    scheduler = attrs.evolve(world.uc.run_due_jobs, page_size=2, rates=FixedYieldRate(0))
    report = await scheduler.execute(world.app.clock.now())
    assert (report.expired, report.accrued, report.skipped) == (3, 0, [])
    assert {(await world.escrow(e.id)).state for e in opened} == {EscrowState.EXPIRED}
    assert {(await world.escrow(e.id)).state for e in in_custody} == {EscrowState.FUNDED}
    with pytest.raises(ValueError, match="page_size"):
        attrs.evolve(world.uc.run_due_jobs, page_size=0)


async def test_an_escrow_failing_with_an_untranslated_error_is_skipped_and_the_run_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, *others = [await world.open() for _ in range(3)]
    world.later(timedelta(days=8))
    real = RunDueJobsHandler._run_one

    async def dropped_connection(
        handler: RunDueJobsHandler, escrow_id: str, *args: Any, **kwargs: Any
    ) -> None:
        if escrow_id == broken.id:
            raise OSError("server closed the connection unexpectedly")
        await real(handler, escrow_id, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(RunDueJobsHandler, "_run_one", dropped_connection)
        report = await world.uc.run_due_jobs.execute(world.app.clock.now())

    assert (report.expired, report.skipped) == (2, [f"{broken.id}: unexpected OSError"])
    assert [(escrow_id, type(error)) for escrow_id, error in report.failures] == [
        (broken.id, OSError)
    ]
    assert {(await world.escrow(e.id)).state for e in others} == {EscrowState.EXPIRED}
    assert (await world.escrow(broken.id)).state is EscrowState.AWAITING_FUNDS
    retried = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert (retried.expired, retried.skipped) == (1, [])
    assert (await world.escrow(broken.id)).state is EscrowState.EXPIRED


async def test_an_unaccepted_request_expires_too_and_a_late_deposit_is_bounced(
    world: World,
) -> None:
    request = await world.open(by=CreatorRole.PAYEE)
    world.later(timedelta(days=8))
    assert (await world.uc.run_due_jobs.execute(world.app.clock.now())).expired == 1
    assert (await world.escrow(request.id)).state is EscrowState.EXPIRED
    await world.deposit(request, AMOUNT)
    assert [p.leg for p in await world.payouts(request.id)] == [PayoutLeg.BOUNCE]


# ---------------------------------------------------------------------- yield
async def test_yield_accrues_daily_through_the_scheduler_and_is_split_at_release(
    world: World,
) -> None:
    escrow = await world.funded(custody_days=30)
    for _ in range(30):
        world.later(timedelta(days=1))
        report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    accrued = await world.events(escrow.id, YieldAccrued)
    assert len(accrued) == 30
    total = sum(e.amount.amount_minor for e in accrued)
    # 50,000 MXN at 7.2 % a year for 30 days, compounded daily: about 296 MXN.
    assert 29_500 < total < 29_700
    assert report.released == 1
    distributed = await world.events(escrow.id, YieldDistributed)
    assert [(d.payer_amount + d.platform_amount).amount_minor for d in distributed] == [total]
    [split] = distributed
    assert split.payer_amount.amount_minor == pytest.approx(total * 0.8, abs=1)
    yield_payouts = {
        p.leg: (p.amount, p.destination)
        for p in await world.payouts(escrow.id)
        if p.leg in (PayoutLeg.PAYER_YIELD, PayoutLeg.PLATFORM_YIELD)
    }
    assert yield_payouts == {
        PayoutLeg.PAYER_YIELD: (split.payer_amount, SOURCE_A),
        PayoutLeg.PLATFORM_YIELD: (split.platform_amount, TREASURY),
    }
    assert await world.held(Account.escrow_yield(escrow.id, MXN)) == 0
    await world.assert_books_balance()


async def test_running_the_scheduler_twice_on_the_same_day_accrues_once(world: World) -> None:
    escrow = await world.funded()
    world.later(timedelta(days=2))
    now = world.app.clock.now()
    assert (await world.uc.run_due_jobs.execute(now)).accrued == 1
    assert (await world.uc.run_due_jobs.execute(now)).accrued == 0
    stored = await world.escrow(escrow.id)
    assert await world.held(Account.escrow_yield(escrow.id, MXN)) == (
        stored.yield_accrued.amount_minor
    )
    assert stored.yield_accrued.is_positive


async def test_nothing_accrues_before_funding(world: World) -> None:
    escrow = await world.open()
    world.later(timedelta(days=3))
    report = await world.uc.run_due_jobs.execute(world.app.clock.now())
    assert report.accrued == 0
    assert await world.events(escrow.id, YieldAccrued) == []


async def test_a_cancel_attempt_on_a_funded_escrow_is_refused(world: World) -> None:
    escrow = await world.funded()
    with pytest.raises(InvalidEscrowTransitionError):
        await world.uc.cancel_escrow.execute(
            EscrowCommand(escrow_id=escrow.id, actor_id=world.payer.id)
        )
