"""The audit-trail ports: the chain of entries, and the records a unit of work queues for it."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from kustodia_domain.audit.chain import AuditEntry, AuditRecord


class PendingAudit(Protocol):
    """The audit records a unit of work commits together with the change they describe.

    A record added here is written, or discarded, with everything else in the unit: a change
    that committed always has its record, and a unit that rolled back leaves none. Committed
    records wait until :meth:`AuditTrail.chain_pending` moves them onto the chain.
    """

    @abstractmethod
    async def add(self, record: AuditRecord) -> None:
        """Queue ``record`` for the chain when the unit commits."""


class AuditTrail(Protocol):
    """Append-only storage of :class:`AuditEntry`.

    ``append`` links the record to the last stored entry with
    :func:`kustodia_domain.audit.chain.link` and stores it; appends are serialised, so two
    concurrent appends never claim the same sequence. Nothing is ever updated or deleted.
    """

    @abstractmethod
    async def append(self, record: AuditRecord) -> AuditEntry:
        """Chain and store ``record``; returns its entry."""

    @abstractmethod
    async def chain_pending(self, limit: int) -> int:
        """Move up to ``limit`` committed pending records onto the chain; returns how many.

        In queue order among the records committed when the batch is read. A record's place
        is given when its row is written (on PostgreSQL before its unit commits), so a record
        whose unit committed late may follow records queued after it; each carries its own
        time. Atomic: each record taken is chained and leaves the queue in the same
        transaction, so concurrent callers never chain a record twice and a failure chains
        none of the batch.
        """

    @abstractmethod
    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        """Entries in sequence order, from the ``offset``-th (0-based)."""

    @abstractmethod
    async def count(self) -> int:
        """How many entries are stored."""
