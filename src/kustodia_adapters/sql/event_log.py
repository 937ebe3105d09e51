"""The event log: every aggregate's events as tagged JSON, unique by (aggregate, sequence)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from kustodia_adapters.serialization import DOMAIN_EVENT, EVENT_TYPES
from kustodia_adapters.sql.mappers import CONVERTER
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import events as events_table
from kustodia_domain.ports.event_log import EventLog
from kustodia_domain.shared.events import DomainEvent

_STORABLE = frozenset(EVENT_TYPES)


class SqlEventLog(EventLog):
    """``append`` is one multi-row ``INSERT``: a batch is stored whole or not at all."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Raises ``ConcurrencyConflictError`` (a ``ConflictError``) for a stored position.

        Raises:
            TypeError: an event class the converter does not know (see ``EVENT_TYPES``).
        """
        if not events:
            return
        unknown = {type(e).__name__ for e in events if type(e) not in _STORABLE}
        if unknown:
            raise TypeError(f"no stored form for events {sorted(unknown)}")
        rows = [
            {
                "aggregate_id": event.aggregate_id,
                "sequence": event.sequence,
                "type": event.name,
                "occurred_at": event.occurred_at,
                "payload": CONVERTER.unstructure(event, unstructure_as=DOMAIN_EVENT),
            }
            for event in events
        ]
        await self._transaction().execute(insert(events_table).values(rows))

    async def for_aggregate(self, aggregate_id: str) -> Sequence[DomainEvent]:
        query = (
            select(events_table.c.payload)
            .where(events_table.c.aggregate_id == aggregate_id)
            .order_by(events_table.c.sequence)
        )
        payloads = (await self._transaction().execute(query)).scalars()
        stored: list[DomainEvent] = [CONVERTER.structure(p, DOMAIN_EVENT) for p in payloads]
        return stored
