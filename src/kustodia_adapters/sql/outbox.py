"""The outbox: messages unique by key, pending (a partial index) until marked dispatched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import outbox_messages
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.ports.outbox import Outbox, OutboxMessage
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_outbox = outbox_messages.c


class SqlOutbox(Outbox):
    """``add`` queues for write-behind; ``pending`` and ``mark_dispatched`` send the queue first.

    ``mark_dispatched`` reads only to tell a missing key apart.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, message: OutboxMessage) -> None:
        # ON CONFLICT DO NOTHING: a key already there keeps its first message, dispatched or not.
        self._transaction().pending.enqueue(
            {
                "key": message.key,
                "topic": message.topic,
                "payload": dict(message.payload),
                "created_at": message.created_at,
            }
        )

    async def pending(self, limit: int) -> Sequence[OutboxMessage]:
        query = (
            select(_outbox.key, _outbox.topic, _outbox.payload, _outbox.created_at)
            .where(_outbox.dispatched_at.is_(None))
            .order_by(_outbox.created_at, _outbox.id)
            .limit(limit)
        )
        transaction = self._transaction()
        if transaction.pending.holds(outbox_messages):
            await flush(transaction)
        rows = (await transaction.execute(query)).mappings()
        return [
            OutboxMessage(
                key=row["key"],
                topic=row["topic"],
                payload=dict(row["payload"]),
                created_at=row["created_at"],
            )
            for row in rows
        ]

    async def mark_dispatched(self, key: str, at: datetime) -> None:
        """Idempotent: the first dispatch time is kept.

        Raises:
            NotFoundError: no message has ``key``.
        """
        transaction = self._transaction()
        if transaction.pending.holds(outbox_messages):
            await flush(transaction)
        statement = (
            update(outbox_messages)
            .where(_outbox.key == key, _outbox.dispatched_at.is_(None))
            .values(dispatched_at=ensure_utc(at))
        )
        if (await transaction.execute(statement)).rowcount:
            return
        exists = (await transaction.execute(select(_outbox.id).where(_outbox.key == key))).first()
        if exists is None:
            raise NotFoundError("outbox message", key)
