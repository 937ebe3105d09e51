"""Dispatch when things go wrong mid-pass: a failing call, a hold, a message that kills workers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs
import pytest

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.payment_rail import (
    PaymentRail,
    PayoutOrder,
    PayoutReceipt,
    RailPayoutStatus,
)
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.outbox_work import RetryPolicy
from kustodia_domain.services.persistence import PAYOUT_TOPIC
from kustodia_domain.shared.clabe import Clabe
from tests.unit.services.scenario import World


class Forwarding(PaymentRail):
    """Forwards every call to a real rail; subclasses change ``send_payout``."""

    def __init__(self, rail: PaymentRail) -> None:
        self.rail = rail

    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        return await self.rail.issue_deposit_clabe(user_id)

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        return await self.rail.send_payout(order)

    async def payout_status(self, payout_id: str) -> RailPayoutStatus:
        return await self.rail.payout_status(payout_id)


class Undecodable(Forwarding):
    """The rail's client lets through an error that is not one of the rail's own."""

    def __init__(self, rail: PaymentRail, payout_id: str) -> None:
        super().__init__(rail)
        self.payout_id = payout_id

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        if order.payout_id == self.payout_id:
            raise ValueError("the response could not be decoded")
        return await super().send_payout(order)


class BeforeFirstCall(Forwarding):
    """Runs ``meanwhile`` once, as the batch's first call goes out."""

    def __init__(self, rail: PaymentRail, meanwhile: Callable[[], Awaitable[None]]) -> None:
        super().__init__(rail)
        self.meanwhile: Callable[[], Awaitable[None]] | None = meanwhile

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        return await super().send_payout(order)


class WorkerDied(BaseException):
    """The process ends mid-call: no handler of the dispatcher runs."""


class DiesOnEveryCall(Forwarding):
    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        raise WorkerDied(order.payout_id)


async def _released(world: World) -> Escrow:
    escrow = await world.funded()
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=world.payer.id)
    )
    return await world.escrow(escrow.id)


async def test_an_unexpected_error_fails_its_payout_alone_and_the_batch_goes_on(
    world: World,
) -> None:
    first = await _released(world)
    second = await _released(world)
    [bad] = first.payouts
    [good] = second.payouts
    dispatch = attrs.evolve(
        world.uc.dispatch_payouts,
        rail=Undecodable(world.app.rail, bad.id),
        policy=RetryPolicy(max_attempts=2),
    )

    assert await dispatch.execute() == 1
    assert world.sent_keys() == [good.idempotency_key]
    assert (await world.escrow(first.id)).payout(bad.id).status is PayoutStatus.PENDING

    world.later(dispatch.policy.cap)
    assert await dispatch.execute() == 0
    async with world.app.uow() as uow:
        [dead] = await uow.outbox.dead(10)
    assert (dead.message.payload["payout_id"], dead.attempts) == (bad.id, 2)
    assert dead.last_error == "ValueError: the response could not be decoded"


async def test_an_escrow_held_while_the_pass_runs_keeps_its_payouts(world: World) -> None:
    # Half in custody, half paid at once: each funded escrow has a payout pending right away.
    first = await world.funded(custody_percent=50)
    second = await world.funded(custody_percent=50)
    [second_payout] = second.payouts

    async def hold_the_second() -> None:
        await world.uc.hold_escrow.execute(
            HoldEscrow(escrow_id=second.id, admin_id=world.admin.id, reason="fraud suspected")
        )

    dispatch = attrs.evolve(
        world.uc.dispatch_payouts, rail=BeforeFirstCall(world.app.rail, hold_the_second)
    )
    assert await dispatch.execute() == 1

    assert [o.payout_id for o in world.app.rail.sent] == [first.payouts[0].id]
    held = await world.escrow(second.id)
    assert held.state is EscrowState.ON_HOLD
    assert held.payout(second_payout.id).status is PayoutStatus.PENDING
    # Released, not failed: claimable again at once, and no attempt spent on it.
    [waiting] = await world.pending()
    assert waiting.payload["payout_id"] == second_payout.id
    async with world.app.uow() as uow:
        now = world.app.clock.now()
        [claimed] = await uow.outbox.claim((PAYOUT_TOPIC,), 10, "w", dispatch.policy.lease, now)
    assert claimed.attempts == 1


async def test_a_payout_whose_worker_dies_every_time_is_dead_after_the_last_attempt(
    world: World,
) -> None:
    escrow = await _released(world)
    [payout] = escrow.payouts
    policy = RetryPolicy(max_attempts=3)
    dying = attrs.evolve(
        world.uc.dispatch_payouts, rail=DiesOnEveryCall(world.app.rail), policy=policy
    )
    for _ in range(policy.max_attempts):
        with pytest.raises(WorkerDied):  # the call went out; the worker never saw its end
            await dying.execute()
        world.later(policy.lease)

    assert await dying.execute() == 0  # the fourth claim: dead-lettered, not sent again
    async with world.app.uow() as uow:
        [dead] = await uow.outbox.dead(10)
    assert await world.pending() == []
    assert dead.message.payload["payout_id"] == payout.id
    assert dead.last_error == "abandoned: 3 claims ended without an outcome"
