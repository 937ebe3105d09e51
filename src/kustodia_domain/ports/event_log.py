"""The event log: every aggregate's past-tense events, kept for timelines and audit."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from kustodia_domain.shared.events import DomainEvent


class EventLog(Protocol):
    """Append-only store of domain events, per aggregate in sequence order."""

    @abstractmethod
    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Store ``events``.

        Raises:
            ConflictError: an (aggregate id, sequence) pair is already stored.
        """

    @abstractmethod
    async def for_aggregate(self, aggregate_id: str) -> Sequence[DomainEvent]:
        """The aggregate's events, oldest first."""
