"""Racing commands on one escrow settle it at most once; the losers get a clear conflict.

The risk screen here yields to the event loop, as one doing I/O would, so every racer reads the
escrow before any of them commits: the races are real, not sequential calls in disguise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from kustodia_domain.disputes.errors import DisputeClosedError
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.errors import InvalidEscrowTransitionError
from kustodia_domain.escrow.events import SETTLEMENT_EVENTS, EscrowDisputed, FundsReleased
from kustodia_domain.escrow.payouts import PayoutLeg
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.services.run_due_jobs import JobReport
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.ids import UserId
from tests.unit.services.scenario import AMOUNT, ScriptedRiskScreen, World, build_world, mxn

Racer = Callable[[World, str], Awaitable[object]]


def _approve(party: str) -> Racer:
    def run(world: World, escrow_id: str) -> Awaitable[object]:
        actor: UserId = getattr(world, party).id
        return world.uc.approve_release.execute(ApproveRelease(escrow_id=escrow_id, actor_id=actor))

    return run


def _scheduler(world: World, escrow_id: str) -> Awaitable[object]:
    return world.uc.run_due_jobs.execute(world.app.clock.now())


RACERS: dict[str, Racer] = {
    "payer": _approve("payer"),
    "payee": _approve("payee"),
    "scheduler": _scheduler,
}


async def _racing_world() -> World:
    return await build_world(risk=ScriptedRiskScreen(pause=True))


async def _settlements(world: World, escrow_id: str) -> int:
    return sum(isinstance(e, SETTLEMENT_EVENTS) for e in await world.timeline(escrow_id))


@pytest.mark.parametrize(
    "order",
    [
        ("payer", "payee", "scheduler"),
        ("scheduler", "payer", "payee"),
        ("payee", "scheduler", "payer"),
        ("payee", "payer", "scheduler"),
    ],
)
async def test_approvals_and_the_scheduler_racing_at_the_deadline_settle_exactly_once(
    order: tuple[str, str, str],
) -> None:
    world = await _racing_world()
    escrow = await world.funded()
    assert escrow.custody_ends_at is not None
    world.app.clock.set(escrow.custody_ends_at)

    results = await asyncio.gather(
        *(RACERS[name](world, escrow.id) for name in order), return_exceptions=True
    )

    releases = 0
    for name, result in zip(order, results, strict=True):
        if isinstance(result, BaseException):
            assert isinstance(result, ConflictError), f"{name} failed with {result!r}"
        elif isinstance(result, JobReport):
            assert result.released + len(result.skipped) == 1
            releases += result.released
        elif name == "payer":
            releases += 1  # the payer's approval of a standard escrow is a release
    # Only the first racer to commit wins; when that is the payee's approval, nothing settles.
    assert releases == await _settlements(world, escrow.id) <= 1

    # Whatever lost is picked up by the next run; it never settles a second time.
    await world.uc.run_due_jobs.execute(world.app.clock.now())
    await world.uc.run_due_jobs.execute(world.app.clock.now())
    stored = await world.escrow(escrow.id)
    assert stored.state is EscrowState.RELEASED
    assert await _settlements(world, escrow.id) == 1
    release = await world.payouts(escrow.id, PayoutLeg.RELEASE)
    assert [p.amount for p in release] == [mxn(AMOUNT)]
    assert len({p.ordinal for p in stored.payouts}) == len(stored.payouts)
    await world.assert_books_balance()


async def test_when_the_payer_goes_first_its_approval_wins_and_the_others_lose_cleanly() -> None:
    world = await _racing_world()
    escrow = await world.funded()
    assert escrow.custody_ends_at is not None
    world.app.clock.set(escrow.custody_ends_at)

    payer, payee, report = await asyncio.gather(
        RACERS["payer"](world, escrow.id),
        RACERS["payee"](world, escrow.id),
        RACERS["scheduler"](world, escrow.id),
        return_exceptions=True,
    )

    assert not isinstance(payer, BaseException)
    # The payee lost the race (a stale read), not a state check made after the release.
    assert isinstance(payee, ConflictError)
    assert not isinstance(payee, InvalidEscrowTransitionError)
    assert isinstance(report, JobReport)
    assert report.released == 0
    assert len(report.skipped) == 1
    [released] = await world.events(escrow.id, FundsReleased)
    assert released.reason == "standard_approval"
    assert len(await world.pending()) == 1
    await world.uc.dispatch_payouts.execute()
    assert [o.amount for o in world.app.rail.sent] == [mxn(AMOUNT)]
    await world.assert_books_balance()


async def test_a_dispute_racing_a_release_leaves_either_a_dispute_or_a_release_never_both() -> None:
    world = await _racing_world()
    escrow = await world.funded()
    dispute, approval = await asyncio.gather(
        world.uc.open_dispute.execute(
            OpenDispute(escrow_id=escrow.id, actor_id=world.payee.id, reason="r", details="d")
        ),
        world.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
        ),
        return_exceptions=True,
    )
    assert isinstance(dispute, BaseException) != isinstance(approval, BaseException)
    assert isinstance(dispute, ConflictError) or isinstance(approval, ConflictError)
    stored = await world.escrow(escrow.id)
    disputed = await world.events(escrow.id, EscrowDisputed)
    settled = await _settlements(world, escrow.id)
    assert (len(disputed), settled) in {(1, 0), (0, 1)}
    assert stored.state in {EscrowState.DISPUTED, EscrowState.RELEASED}
    await world.assert_books_balance()


async def test_two_admins_resolving_the_same_dispute_settle_it_once() -> None:
    world = await _racing_world()
    escrow = await world.funded()
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer.id, reason="r", details="d")
    )
    release, refund = await asyncio.gather(
        world.uc.resolve_dispute.execute(
            ResolveDispute(
                dispute_id=dispute.id,
                admin_id=world.admin.id,
                resolution=Resolution.RELEASE,
                reason="seller delivered",
            )
        ),
        world.uc.resolve_dispute.execute(
            ResolveDispute(
                dispute_id=dispute.id,
                admin_id=world.second_admin.id,
                resolution=Resolution.REFUND,
                reason="buyer is right",
            )
        ),
        return_exceptions=True,
    )
    assert not isinstance(release, BaseException)
    assert isinstance(refund, DisputeClosedError | ConflictError)
    assert await _settlements(world, escrow.id) == 1
    assert (await world.escrow(escrow.id)).state is EscrowState.RELEASED
    await world.assert_books_balance()
