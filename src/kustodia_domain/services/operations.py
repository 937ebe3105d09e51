"""Operational reads for metrics and the worker: backlog, escrows by state, decisions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import attrs

from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.back_office import BackOfficeReads
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.dispatch_payouts import DispatchPayoutsHandler
from kustodia_domain.services.run_due_jobs import JobReport, RunDueJobsHandler

BACKLOG_CAP = 10_000
"""The backlog is counted up to this many messages; beyond it the gauge saturates."""


@attrs.frozen(kw_only=True)
class WorkerPass:
    """What one pass of the worker did."""

    jobs: JobReport
    payouts_sent: int


@attrs.frozen
class Operations:
    """Figures for ``/metrics`` and one worker pass (due jobs, then the payout outbox)."""

    uow: Callable[[], UnitOfWork]
    reads: BackOfficeReads
    audit: AuditLog
    run_due_jobs: RunDueJobsHandler
    dispatch_payouts: DispatchPayoutsHandler

    async def escrows_by_state(self) -> Mapping[str, int]:
        counts = {state.value: 0 for state in EscrowState}
        for summary in await self.reads.escrow_summaries():
            counts[summary.state.value] += 1
        return counts

    async def outbox_backlog(self) -> int:
        async with self.uow() as uow:
            return len(await uow.outbox.pending(BACKLOG_CAP))

    async def decisions_by_outcome(self) -> Mapping[str, int]:
        return await self.reads.screening_outcomes()

    async def worker_pass(self, now: datetime) -> WorkerPass:
        """Run the jobs due at ``now`` and send pending payouts; audited when it changed things."""
        report = await self.run_due_jobs.execute(now)
        sent = await self.dispatch_payouts.execute()
        if report.released or report.expired or sent:
            await self.audit.record(
                actor_id=None,
                action="worker.pass",
                subject_type="scheduler",
                subject_id=now.isoformat(),
                details={
                    "released": report.released,
                    "expired": report.expired,
                    "reminded": report.reminded,
                    "payouts_sent": sent,
                },
            )
        return WorkerPass(jobs=report, payouts_sent=sent)
