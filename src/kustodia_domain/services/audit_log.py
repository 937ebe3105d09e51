"""Use cases of the audit trail: record an action, page through entries, verify the chain."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import attrs

from kustodia_domain.audit.chain import AuditEntry, AuditRecord, AuditValue, ChainCheck, verify
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.reporting import Report, unreported
from kustodia_domain.shared.errors import ConcurrencyConflictError

T = TypeVar("T")

_VERIFY_PAGE = 500
_APPEND_ATTEMPTS = 3
CHAIN_BATCH = 200
"""Pending records moved onto the chain per transaction."""
CHAIN_BATCHES_PER_CALL = 50
"""At most this many batches per :meth:`AuditLog.chain` (10,000 records), so a worker pass
ends even while records keep arriving; the next pass takes the rest."""


@attrs.frozen
class AuditLog:
    """Appends to the hash-chained trail; reads it back for staff.

    Every admin action and every state change made through the platform's edges is recorded
    here with its actor (``None`` for the system: scheduler, rail webhooks). A command that
    changes its unit of work's state adds its record to the unit (``uow.audit``), and
    :meth:`chain` moves committed records onto the chain; stores outside the unit of work
    (fraud lists, alerts) are audited with :meth:`record` after their change.
    """

    trail: AuditTrail
    clock: Clock
    report: Report = unreported
    """Told of every failure :meth:`chain_after_commit` absorbs."""

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
        record = self.stamped(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )
        return await _despite_lost_races(lambda: self.trail.append(record))

    def stamped(
        self,
        *,
        actor_id: str | None,
        action: str,
        subject_type: str,
        subject_id: str,
        details: Mapping[str, AuditValue] | None = None,
    ) -> AuditRecord:
        """A record of the action, stamped with the clock's time (for ``uow.audit.add``)."""
        return AuditRecord(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            at=self.clock.now(),
            details=dict(details or {}),
        )

    async def chain(self, *, max_batches: int = CHAIN_BATCHES_PER_CALL) -> int:
        """Move committed pending records onto the chain, a batch per transaction.

        Stops at the first batch that is not full, or after ``max_batches`` batches. Returns
        how many were chained. A batch that lost the race for the chain's head wrote nothing
        and is tried again, up to ``_APPEND_ATTEMPTS`` times in a row.

        Raises:
            ConcurrencyConflictError: every attempt at one batch lost its race.
        """
        chained = 0
        for _ in range(max_batches):
            batch = await _despite_lost_races(lambda: self.trail.chain_pending(CHAIN_BATCH))
            chained += batch
            if batch < CHAIN_BATCH:
                break
        return chained

    async def chain_after_commit(self) -> None:
        """Chain one batch of pending records, for a command that just committed its own.

        Never raises: the command's work is done and its record committed with it, so a
        failure here must not turn its answer into an error (a client would retry work that
        is done). The failure goes to ``report``; whatever is left is chained by the worker's
        next :meth:`chain`.
        """
        try:
            await self.trail.chain_pending(CHAIN_BATCH)
        except Exception as error:  # the worker chains it (see above)
            with contextlib.suppress(Exception):  # a reporter that fails changes nothing
                self.report("audit chaining after commit failed", error)

    async def page(self, *, offset: int = 0, limit: int = 50) -> Sequence[AuditEntry]:
        """Entries oldest first (``limit`` at most 200)."""
        return await self.trail.entries(offset=max(offset, 0), limit=min(max(limit, 1), 200))

    async def verify(self) -> ChainCheck:
        """Re-hash the whole chain and report the first broken entry, if any."""
        entries: list[AuditEntry] = []
        while batch := await self.trail.entries(offset=len(entries), limit=_VERIFY_PAGE):
            entries.extend(batch)
        return verify(entries)


async def _despite_lost_races(write: Callable[[], Awaitable[T]]) -> T:
    """``write()``, tried again while it loses the race for the chain's head.

    A lost race wrote nothing, so trying again writes once.

    Raises:
        ConcurrencyConflictError: each of ``_APPEND_ATTEMPTS`` attempts lost its race.
    """
    for _ in range(_APPEND_ATTEMPTS - 1):
        try:
            return await write()
        except ConcurrencyConflictError:
            continue
    return await write()
