"""The event log: every aggregate's events as tagged JSON, unique by (aggregate, sequence)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from kustodia_adapters.serialization import DOMAIN_EVENT, EVENT_TYPES
from kustodia_adapters.sql.mappers import CONVERTER
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import events as events_table
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.ports.event_log import EventLog
from kustodia_domain.shared.events import DomainEvent

_STORABLE = frozenset(EVENT_TYPES)


class SqlEventLog(EventLog):
    """``append`` queues the rows for write-behind: a batch is stored whole or not at all.

    ``for_aggregate`` is one statement, after sending what is pending.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def append(self, events: Sequence[DomainEvent]) -> None:
        """A stored position makes the flush (``commit``) raise ``ConcurrencyConflictError``.

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
        self._transaction().pending.append(events_table, rows)

    async def for_aggregate(self, aggregate_id: str) -> Sequence[DomainEvent]:
        query = (
            select(events_table.c.payload)
            .where(events_table.c.aggregate_id == aggregate_id)
            .order_by(events_table.c.sequence)
        )
        transaction = self._transaction()
        if transaction.pending.holds(events_table):
            await flush(transaction)
        payloads = (await transaction.execute(query)).scalars()
        stored: list[DomainEvent] = [CONVERTER.structure(p, DOMAIN_EVENT) for p in payloads]
        return stored
