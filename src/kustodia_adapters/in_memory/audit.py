"""The audit trail in a list; appends are serialised by a lock so the chain never forks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_domain.audit.chain import AuditEntry, AuditRecord, link
from kustodia_domain.ports.audit import AuditTrail, PendingAudit


class InMemoryPendingAudit(PendingAudit):
    """Records queued in a unit of work; its commit publishes them with its other writes."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, record: AuditRecord) -> None:
        self._transaction().write(lambda state: state.audit_pending.append(record))


class InMemoryAuditTrail(AuditTrail):
    """Entries are frozen values, so they are stored and handed out as they are.

    Pending records are read from ``store``'s committed state, under the store's lock, so a
    record is taken once and a unit committing meanwhile waits.
    """

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._entries: list[AuditEntry] = []
        self._lock = asyncio.Lock()

    async def append(self, record: AuditRecord) -> AuditEntry:
        async with self._lock:
            return self._link(record)

    async def chain_pending(self, limit: int) -> int:
        async with self._store.lock, self._lock:
            state = self._store.snapshot()
            taken = state.audit_pending[: max(limit, 0)]
            for record in taken:
                self._link(record)
            del state.audit_pending[: len(taken)]
            self._store.state = state
            return len(taken)

    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        return self._entries[offset : offset + limit]

    async def count(self) -> int:
        return len(self._entries)

    def tamper(self, index: int, entry: AuditEntry) -> None:
        """Overwrite an entry behind the chain's back (tests of :func:`verify` use it)."""
        self._entries[index] = entry

    def _link(self, record: AuditRecord) -> AuditEntry:
        entry = link(self._entries[-1] if self._entries else None, record)
        self._entries.append(entry)
        return entry
