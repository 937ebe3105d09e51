"""The event log: each aggregate's events, unique by (aggregate id, sequence)."""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState
from kustodia_domain.ports.event_log import EventLog
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.events import DomainEvent


def _append(state: StoreState, events: Sequence[DomainEvent]) -> None:
    # Check the whole batch before storing any of it, so a conflict writes nothing.
    aggregates = {event.aggregate_id for event in events}
    seen = {(a, e.sequence) for a in aggregates for e in state.events.get(a, ())}
    for event in events:
        position = (event.aggregate_id, event.sequence)
        if position in seen:
            raise ConflictError(f"event {event.sequence} of {event.aggregate_id} is stored")
        seen.add(position)
    for event in events:
        # A new tuple rather than an append: stored values are never changed in place.
        state.events[event.aggregate_id] = (*state.events.get(event.aggregate_id, ()), event)


class InMemoryEventLog(EventLog):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def append(self, events: Sequence[DomainEvent]) -> None:
        # Events are frozen, so the journal holds them as given; only the sequence is copied.
        batch = tuple(events)
        self._transaction().write(lambda state: _append(state, batch))

    async def for_aggregate(self, aggregate_id: str) -> Sequence[DomainEvent]:
        stored = self._transaction().state.events.get(aggregate_id, ())
        return sorted(stored, key=lambda e: e.sequence)
