"""Operational reads for metrics and the worker: backlog, escrows by state, decisions.

Also the worker's pass (due jobs, then the outbox's consumers) and the admins' dead letters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.back_office import BackOfficeReads
from kustodia_domain.ports.outbox import DeadLetter
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.assess_disputes import AssessOpenedDisputesHandler
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.deliver_emails import DeliverEmailsHandler
from kustodia_domain.services.dispatch_payouts import DispatchPayoutsHandler
from kustodia_domain.services.outbox_work import DEFAULT_WORKER
from kustodia_domain.services.run_due_jobs import JobReport, RunDueJobsHandler

BACKLOG_CAP = 10_000
"""The backlog is counted up to this many messages; beyond it the gauge saturates."""


@attrs.frozen(kw_only=True)
class WorkerPass:
    """What one pass of the worker did."""

    jobs: JobReport
    payouts_sent: int
    emails_sent: int = 0
    disputes_assessed: int = 0
    audit_chained: int = 0
    """Audit records committed by commands and moved onto the chain by this pass."""
    audit_failure: Exception | None = None
    """Why chaining the pending audit records failed (they wait for the next pass)."""


@attrs.frozen
class Operations:
    """Figures for ``/metrics``, one worker pass and the outbox's dead letters.

    A pass runs the due jobs, then the outbox's consumers: payouts, e-mails (when
    ``deliver_emails`` is wired) and dispute assessments (when ``assess_disputes`` is).
    """

    uow: Callable[[], UnitOfWork]
    reads: BackOfficeReads
    audit: AuditLog
    run_due_jobs: RunDueJobsHandler
    dispatch_payouts: DispatchPayoutsHandler
    deliver_emails: DeliverEmailsHandler | None = attrs.field(default=None, kw_only=True)
    assess_disputes: AssessOpenedDisputesHandler | None = attrs.field(default=None, kw_only=True)

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

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        """Outbox messages given up on after their last attempt, most recent first."""
        async with self.uow() as uow:
            return await uow.outbox.dead(limit)

    async def retry_dead_letter(self, admin_id: str, key: str) -> None:
        """Make a dead message pending again, due now; audited.

        Raises:
            NotFoundError: no dead message has ``key``.
        """
        async with self.uow() as uow:
            await uow.outbox.retry_dead(key)
            await uow.audit.add(
                self.audit.stamped(
                    actor_id=admin_id,
                    action="outbox.retry",
                    subject_type="outbox_message",
                    subject_id=key,
                )
            )
            await uow.commit()
        await self.audit.chain_after_commit()

    async def worker_pass(self, now: datetime, worker_id: str = DEFAULT_WORKER) -> WorkerPass:
        """Run the jobs due at ``now``, then the outbox's consumers as ``worker_id``.

        Audited when it changed things. Last, the audit records committed since the last pass
        and not chained yet (their command's own chaining failed) are chained. A failure of
        either is reported in the result rather than raised: the pass's work is done and
        committed, and the records queued by its units wait for the next pass.
        """
        report = await self.run_due_jobs.execute(now)
        sent = await self.dispatch_payouts.execute(worker_id=worker_id)
        emails = assessed = 0
        if self.deliver_emails is not None:
            emails = (await self.deliver_emails.execute(worker_id=worker_id)).sent
        if self.assess_disputes is not None:
            assessed = (await self.assess_disputes.execute(worker_id=worker_id)).assessed
        chained, failure = 0, None
        try:
            if report.released or report.expired or sent:
                await self._record_pass(now, report, sent)
            chained = await self.audit.chain()
        except Exception as error:  # reported to the worker, which logs it with its traceback
            failure = error
        return WorkerPass(
            jobs=report,
            payouts_sent=sent,
            emails_sent=emails,
            disputes_assessed=assessed,
            audit_chained=chained,
            audit_failure=failure,
        )

    async def _record_pass(self, now: datetime, report: JobReport, sent: int) -> None:
        """Queue the pass's summary; it is chained with everything else queued."""
        async with self.uow() as uow:
            await uow.audit.add(
                AuditRecord(
                    actor_id=None,
                    action="worker.pass",
                    subject_type="scheduler",
                    subject_id=now.isoformat(),
                    at=now,
                    details={
                        "released": report.released,
                        "expired": report.expired,
                        "reminded": report.reminded,
                        "payouts_sent": sent,
                    },
                )
            )
            await uow.commit()
