"""The worker's assessment use case: assess each dispute when it opens.

Opening a dispute enqueues a ``dispute.assess`` message in the same transaction. The worker
claims those messages under a lease and runs :class:`AssessDisputeHandler` for each, which
calls the assessor *outside* any transaction. A dispute that is gone or already closed needs
no assessment (completed); any other failure is retried with backoff and dead after the last
attempt, without holding up the other disputes of the batch.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.disputes.errors import DisputeClosedError
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.outbox_work import (
    DEFAULT_WORKER,
    RetryPolicy,
    claim,
    complete,
    fail,
    reason,
)
from kustodia_domain.services.persistence import ASSESSMENT_TOPIC
from kustodia_domain.services.resolve_dispute import AssessDispute, AssessDisputeHandler
from kustodia_domain.shared.errors import NotFoundError


@attrs.frozen(kw_only=True)
class AssessmentReport:
    """What one pass did: disputes assessed, failed attempts, and messages now dead."""

    assessed: int = 0
    failed: int = 0
    dead: int = 0


@attrs.frozen
class AssessOpenedDisputesHandler:
    """Assesses up to ``limit`` newly opened disputes, oldest first."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    assess: AssessDisputeHandler
    policy: RetryPolicy = attrs.field(factory=RetryPolicy, kw_only=True)

    async def execute(
        self, limit: int = 20, *, worker_id: str = DEFAULT_WORKER
    ) -> AssessmentReport:
        claimed = await claim(
            self.uow, (ASSESSMENT_TOPIC,), limit, worker_id, self.policy, self.clock.now()
        )
        assessed = failed = dead = 0
        for item in claimed:
            try:
                await self.assess.execute(
                    AssessDispute(dispute_id=str(item.message.payload["dispute_id"]))
                )
            except (NotFoundError, DisputeClosedError, KeyError):
                pass  # nothing left to assess
            except Exception as error:
                # A provider's error the adapter did not translate fails this dispute's message,
                # not the batch: the others claimed with it are still assessed now.
                failed += 1
                if await fail(self.uow, item, reason(error), self.policy, self.clock.now()):
                    dead += 1
                continue
            else:
                assessed += 1
            await complete(self.uow, item.key, self.clock.now())
        return AssessmentReport(assessed=assessed, failed=failed, dead=dead)
