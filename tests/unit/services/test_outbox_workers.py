"""The outbox's consumers under leases: backoff, dead letters, and assessments on opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from kustodia_domain.disputes.assessment import Assessment, AssessmentRequest
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.services.assess_disputes import AssessOpenedDisputesHandler
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.outbox_work import RetryPolicy
from kustodia_domain.services.persistence import ASSESSMENT_TOPIC
from kustodia_domain.shared.errors import ConflictError
from tests.unit.services.scenario import World, build_world

T = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_backoff_doubles_up_to_its_cap_and_gives_up_after_the_last_attempt() -> None:
    policy = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=3), max_attempts=5)
    delays = [policy.retry_at(n, T) for n in range(1, 6)]
    assert [d - T if d else None for d in delays] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=3),
        None,
    ]


class Unavailable(DisputeAssessor):
    async def assess(self, request: AssessmentRequest, at: datetime) -> Assessment:
        raise ConflictError("the assessment could not be stored")


async def opened(world: World) -> Dispute:
    escrow = await world.funded()
    return await world.uc.open_dispute.execute(
        OpenDispute(
            escrow_id=escrow.id, actor_id=world.payer.id, reason="not delivered", details="-"
        )
    )


async def test_an_opened_dispute_is_assessed_once_by_the_worker() -> None:
    world = await build_world()
    dispute = await opened(world)
    handler = AssessOpenedDisputesHandler(world.app.uow, world.app.clock, world.uc.assess_dispute)

    first = await handler.execute(worker_id="w1")
    again = await handler.execute(worker_id="w2")

    assert (first.assessed, again.assessed) == (1, 0)
    assert (await world.dispute(dispute.id)).assessment is not None
    assert await world.pending(ASSESSMENT_TOPIC) == []
    # Committed with the assessment, for the worker's pass to chain; no admin asked for it.
    assessed = [r for r in world.app.store.state.audit_pending if r.action == "dispute.assessed"]
    assert [(r.subject_id, r.actor_id) for r in assessed] == [(dispute.id, None)]


async def test_a_failing_assessment_backs_off_then_is_dead_until_retried() -> None:
    world = await build_world()
    await opened(world)
    policy = RetryPolicy(base=timedelta(minutes=1), max_attempts=2)
    failing = attrs.evolve(world.uc.assess_dispute, assessor=Unavailable())
    handler = AssessOpenedDisputesHandler(world.app.uow, world.app.clock, failing, policy=policy)

    first = await handler.execute()
    assert (first.failed, first.dead) == (1, 0)
    assert (await handler.execute()).failed == 0  # waiting for its retry time
    world.later(timedelta(minutes=1))
    second = await handler.execute()
    assert (second.failed, second.dead) == (1, 1)
    async with world.app.uow() as uow:
        [dead] = await uow.outbox.dead(10)
    assert (dead.attempts, dead.message.topic) == (2, ASSESSMENT_TOPIC)
    assert dead.last_error == "ConflictError: the assessment could not be stored"

    async with world.app.uow() as uow:
        await uow.outbox.retry_dead(dead.message.key)
        await uow.commit()
    healthy = attrs.evolve(handler, assess=world.uc.assess_dispute)
    assert (await healthy.execute()).assessed == 1
    assert await world.pending(ASSESSMENT_TOPIC) == []


@attrs.frozen
class ResetOnce(DisputeAssessor):
    """The provider's connection drops on the first call, with an error no adapter wrapped."""

    then: DisputeAssessor
    calls: list[str] = attrs.field(factory=list)

    async def assess(self, request: AssessmentRequest, at: datetime) -> Assessment:
        self.calls.append(request.dispute_id)
        if len(self.calls) == 1:
            raise ConnectionResetError("connection reset by peer")
        return await self.then.assess(request, at)


async def test_an_untranslated_failure_fails_its_dispute_and_the_batch_goes_on() -> None:
    world = await build_world()
    first, second = await opened(world), await opened(world)
    flaky = ResetOnce(world.uc.assess_dispute.assessor)
    assess = attrs.evolve(world.uc.assess_dispute, assessor=flaky)
    handler = AssessOpenedDisputesHandler(world.app.uow, world.app.clock, assess)

    report = await handler.execute()

    assert (report.assessed, report.failed, report.dead) == (1, 1, 0)
    assert sorted(flaky.calls) == sorted([first.id, second.id])
    failed_id = flaky.calls[0]
    assert (await world.dispute(failed_id)).assessment is None
    [waiting] = await world.pending(ASSESSMENT_TOPIC)
    assert waiting.payload["dispute_id"] == failed_id
