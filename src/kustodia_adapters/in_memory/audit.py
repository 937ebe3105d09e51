"""The audit trail in a list; appends are serialised by a lock so the chain never forks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from kustodia_domain.audit.chain import AuditEntry, AuditRecord, link
from kustodia_domain.ports.audit import AuditTrail


class InMemoryAuditTrail(AuditTrail):
    """Entries are frozen values, so they are stored and handed out as they are."""

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []
        self._lock = asyncio.Lock()

    async def append(self, record: AuditRecord) -> AuditEntry:
        async with self._lock:
            entry = link(self._entries[-1] if self._entries else None, record)
            self._entries.append(entry)
            return entry

    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        return self._entries[offset : offset + limit]

    async def count(self) -> int:
        return len(self._entries)

    def tamper(self, index: int, entry: AuditEntry) -> None:
        """Overwrite an entry behind the chain's back (tests of :func:`verify` use it)."""
        self._entries[index] = entry
