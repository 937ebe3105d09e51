"""The audit-trail port: an append-only chain of audit entries."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from kustodia_domain.audit.chain import AuditEntry, AuditRecord


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
    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        """Entries in sequence order, from the ``offset``-th (0-based)."""

    @abstractmethod
    async def count(self) -> int:
        """How many entries are stored."""
