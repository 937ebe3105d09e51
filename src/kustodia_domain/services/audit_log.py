"""Use cases of the audit trail: record an action, page through entries, verify the chain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from kustodia_domain.audit.chain import AuditEntry, AuditRecord, AuditValue, ChainCheck, verify
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.clock import Clock
from kustodia_domain.shared.errors import ConcurrencyConflictError

_VERIFY_PAGE = 500
_APPEND_ATTEMPTS = 3


@attrs.frozen
class AuditLog:
    """Appends to the hash-chained trail; reads it back for staff.

    Every admin action and every state change made through the platform's edges is recorded
    here with its actor (``None`` for the system: scheduler, rail webhooks).
    """

    trail: AuditTrail
    clock: Clock

    async def record(
        self,
        *,
        actor_id: str | None,
        action: str,
        subject_type: str,
        subject_id: str,
        details: Mapping[str, AuditValue] | None = None,
    ) -> AuditEntry:
        """Append one record, stamped with the clock's time.

        Callers record what already committed, so an append that lost a race for the chain's
        head (SQLite's write lock busy past its timeout) is tried again, up to
        ``_APPEND_ATTEMPTS`` times, rather than answering "try again" for work that is done: a
        client retrying it would do the work twice. A lost race wrote nothing, so the retry
        appends the record once.

        Raises:
            ConcurrencyConflictError: every attempt lost its race.
        """
        record = AuditRecord(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            at=self.clock.now(),
            details=dict(details or {}),
        )
        for _ in range(_APPEND_ATTEMPTS - 1):
            try:
                return await self.trail.append(record)
            except ConcurrencyConflictError:
                continue
        return await self.trail.append(record)

    async def page(self, *, offset: int = 0, limit: int = 50) -> Sequence[AuditEntry]:
        """Entries oldest first (``limit`` at most 200)."""
        return await self.trail.entries(offset=max(offset, 0), limit=min(max(limit, 1), 200))

    async def verify(self) -> ChainCheck:
        """Re-hash the whole chain and report the first broken entry, if any."""
        entries: list[AuditEntry] = []
        while batch := await self.trail.entries(offset=len(entries), limit=_VERIFY_PAGE):
            entries.extend(batch)
        return verify(entries)
