"""Audit records queued in a unit of work: one more plain-insert table of the write-behind."""

from __future__ import annotations

from kustodia_adapters.sql.mappers.audit import record_values
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import audit_pending
from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.ports.audit import PendingAudit


class SqlPendingAudit(PendingAudit):
    """``add`` queues the row; it is sent with the unit's other pending rows at the commit.

    No lock is taken: the chain's lock row is taken only by whoever chains the queue later
    (:meth:`~kustodia_adapters.sql.platform.audit.SqlAuditTrail.chain_pending`), so units
    that record audit entries do not queue behind one another.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, record: AuditRecord) -> None:
        self._transaction().pending.append(audit_pending, [record_values(record)])
