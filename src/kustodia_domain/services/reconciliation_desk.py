"""The back office's reconciliation with the rail: the open differences, and audited runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from kustodia_domain.ports.reconciliation_queue import (
    ReconciliationDifference,
    ReconciliationQueue,
)
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.reconcile_rail import (
    ReconcileRail,
    ReconcileRailHandler,
    ReconciliationReport,
)
from kustodia_domain.services.staff import ACTORS, READERS, require_role


@attrs.frozen
class ReconciliationDesk:
    """Staff read the queue of differences; admins run a reconciliation, which is audited.

    Raises: ForbiddenError (another role), and whatever ``ReconcileRailHandler`` raises.
    """

    uow: Callable[[], UnitOfWork]
    queue: ReconciliationQueue
    reconcile: ReconcileRailHandler
    audit: AuditLog

    async def differences(self, staff_id: str) -> Sequence[ReconciliationDifference]:
        """Unresolved differences between the books and the rail, oldest found first."""
        async with self.uow() as uow:
            await require_role(uow, staff_id, READERS)
        return await self.queue.list_open()

    async def run(self, admin_id: str, cmd: ReconcileRail) -> ReconciliationReport:
        """Reconcile ``[since, until)`` with the rail's statement; recorded in the audit trail."""
        async with self.uow() as uow:
            await require_role(uow, admin_id, ACTORS)
        report = await self.reconcile.execute(cmd)
        await self.audit.record(
            actor_id=admin_id,
            action="reconciliation.run",
            subject_type="reconciliation",
            subject_id=f"{report.since.isoformat()}/{report.until.isoformat()}",
            details={
                "rail_deposits": report.rail_deposits,
                "rail_payouts": report.rail_payouts,
                "differences": len(report.differences),
                "queued": report.queued,
            },
        )
        return report
