"""The outbox: messages unique by key, pending (a partial index) until dispatched or dead.

Workers claim with one statement, ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING``: on PostgreSQL the subquery skips rows another transaction is claiming, so
concurrent claims never wait for each other nor take the same row; SQLite has one writer at a
time, so the same statement (without the lock clause, which it does not know) is atomic there.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, and_, or_, select, update

from kustodia_adapters.sql.session import CurrentTransaction, SqlTransaction
from kustodia_adapters.sql.tables import outbox_messages
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.ports.outbox import ClaimedMessage, DeadLetter, Outbox, OutboxMessage
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_outbox = outbox_messages.c
_WAITING = and_(_outbox.dispatched_at.is_(None), _outbox.dead_at.is_(None))


def _held_by(claim: ClaimedMessage) -> ColumnElement[bool]:
    """The message is waiting and still leased to ``claim``: its worker, at its attempt.

    ``attempts`` is the fencing token: every claim counts one, so a claim whose lease ran out
    and was taken over no longer matches even when the same worker id claimed it again.
    """
    return and_(
        _outbox.key == claim.key,
        _WAITING,
        _outbox.leased_by == claim.leased_by,
        _outbox.attempts == claim.attempts,
    )


def _message(row: RowMapping) -> OutboxMessage:
    return OutboxMessage(
        key=row["key"],
        topic=row["topic"],
        payload=dict(row["payload"]),
        created_at=row["created_at"],
    )


class SqlOutbox(Outbox):
    """``add`` queues for write-behind; every other method sends the queue first.

    ``mark_dispatched`` and ``complete`` read only to tell a missing key apart.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def _flushed(self) -> SqlTransaction:
        transaction = self._transaction()
        if transaction.pending.holds(outbox_messages):
            await flush(transaction)
        return transaction

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
            .where(_outbox.dispatched_at.is_(None), _outbox.dead_at.is_(None))
            .order_by(_outbox.created_at, _outbox.id)
            .limit(limit)
        )
        transaction = await self._flushed()
        return [_message(row) for row in (await transaction.execute(query)).mappings()]

    async def mark_dispatched(self, key: str, at: datetime) -> None:
        """Idempotent: the first dispatch time is kept.

        Raises:
            NotFoundError: no message has ``key``.
        """
        await self.complete(key, at)

    async def claim(
        self,
        topics: Collection[str],
        limit: int,
        worker_id: str,
        lease: timedelta,
        now: datetime,
    ) -> Sequence[ClaimedMessage]:
        moment = ensure_utc(now)
        until = moment + lease
        claimable = (
            select(_outbox.id)
            .where(
                _WAITING,
                _outbox.topic.in_(list(topics)),
                or_(_outbox.retry_at.is_(None), _outbox.retry_at <= moment),
                or_(_outbox.leased_until.is_(None), _outbox.leased_until <= moment),
            )
            .order_by(_outbox.created_at, _outbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(outbox_messages)
            .where(_outbox.id.in_(claimable))
            .values(attempts=_outbox.attempts + 1, leased_by=worker_id, leased_until=until)
            .returning(
                _outbox.id,
                _outbox.key,
                _outbox.topic,
                _outbox.payload,
                _outbox.created_at,
                _outbox.attempts,
            )
        )
        transaction = await self._flushed()
        rows = sorted(
            (await transaction.execute(statement)).mappings(),
            key=lambda row: (row["created_at"], row["id"]),
        )
        return [
            ClaimedMessage(
                message=_message(row),
                attempts=row["attempts"],
                leased_by=worker_id,
                leased_until=until,
            )
            for row in rows
        ]

    async def complete(self, key: str, at: datetime) -> None:
        """Idempotent: the first dispatch time is kept.

        Raises:
            NotFoundError: no message has ``key``.
        """
        statement = (
            update(outbox_messages)
            .where(_outbox.key == key, _outbox.dispatched_at.is_(None))
            .values(dispatched_at=ensure_utc(at), leased_by=None, leased_until=None, dead_at=None)
        )
        await self._changed(statement, key)

    async def fail(
        self, claim: ClaimedMessage, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        moment = ensure_utc(at)
        statement = (
            update(outbox_messages)
            .where(_held_by(claim))
            .values(
                leased_by=None,
                leased_until=None,
                last_error=error,
                retry_at=None if retry_at is None else ensure_utc(retry_at),
                dead_at=moment if retry_at is None else None,
            )
        )
        transaction = await self._flushed()
        await transaction.execute(statement)

    async def release(self, claim: ClaimedMessage, retry_at: datetime | None) -> None:
        statement = (
            update(outbox_messages)
            .where(_held_by(claim))
            .values(
                attempts=_outbox.attempts - 1,
                leased_by=None,
                leased_until=None,
                retry_at=None if retry_at is None else ensure_utc(retry_at),
            )
        )
        transaction = await self._flushed()
        await transaction.execute(statement)

    async def dead(self, limit: int) -> Sequence[DeadLetter]:
        query = (
            select(
                _outbox.key,
                _outbox.topic,
                _outbox.payload,
                _outbox.created_at,
                _outbox.attempts,
                _outbox.last_error,
                _outbox.dead_at,
            )
            .where(_outbox.dead_at.is_not(None))
            .order_by(_outbox.dead_at.desc(), _outbox.id.desc())
            .limit(limit)
        )
        transaction = await self._flushed()
        return [
            DeadLetter(
                message=_message(row),
                attempts=row["attempts"],
                last_error=row["last_error"],
                dead_at=row["dead_at"],
            )
            for row in (await transaction.execute(query)).mappings()
        ]

    async def retry_dead(self, key: str) -> None:
        statement = (
            update(outbox_messages)
            .where(_outbox.key == key, _outbox.dead_at.is_not(None))
            .values(dead_at=None, attempts=0, retry_at=None)
        )
        transaction = await self._flushed()
        if not (await transaction.execute(statement)).rowcount:
            raise NotFoundError("dead outbox message", key)

    async def _changed(self, statement: Any, key: str) -> None:
        transaction = await self._flushed()
        if (await transaction.execute(statement)).rowcount:
            return
        exists = (await transaction.execute(select(_outbox.id).where(_outbox.key == key))).first()
        if exists is None:
            raise NotFoundError("outbox message", key)
