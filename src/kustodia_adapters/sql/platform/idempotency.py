"""Idempotency keys: the primary key is the claim; the first response is kept for replays."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, Update, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import idempotency_keys
from kustodia_adapters.sql.types import UtcDateTime
from kustodia_domain.ports.idempotency import (
    Claim,
    IdempotencyRecord,
    IdempotencyStore,
    StoredResponse,
)
from kustodia_domain.shared.errors import ConcurrencyConflictError

_keys = idempotency_keys.c

_CLAIM_ATTEMPTS: Final = 3
"""A key released between losing the insert and reading the winner is claimed again."""


class SqlIdempotencyStore(IdempotencyStore):
    """``claim`` is ``INSERT ... ON CONFLICT DO NOTHING``: of concurrent claims one inserts.

    A losing claim then reads the winner's record (on PostgreSQL the insert waited for the
    winner to commit, so the read sees it). Comparing request hashes is the caller's job: the
    same key with another request gets the stored record and is refused there.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, key: str, request_hash: str, at: datetime) -> IdempotencyRecord | None:
        """Raises ``ConcurrencyConflictError`` if the key keeps being claimed and released."""
        for _ in range(_CLAIM_ATTEMPTS):
            async with own_transaction(self._engine) as transaction:
                statement = (
                    transaction.dialect.upsert(idempotency_keys)
                    .values(key=key, request_hash=request_hash, created_at=at)
                    .on_conflict_do_nothing(index_elements=[_keys.key])
                    .returning(_keys.key)
                )
                if (await transaction.execute(statement)).first() is not None:
                    return None
                query = select(idempotency_keys).where(_keys.key == key)
                row = (await transaction.execute(query)).mappings().first()
            if row is not None:
                response = None
                if row["response_status"] is not None:
                    response = StoredResponse(
                        status=row["response_status"],
                        body=bytes(row["response_body"]),
                        media_type=row["response_media_type"],
                    )
                return IdempotencyRecord(
                    key=row["key"],
                    request_hash=row["request_hash"],
                    created_at=row["created_at"],
                    response=response,
                    committed_at=row["committed_at"],
                )
        raise ConcurrencyConflictError(f"idempotency key {key} is being claimed and released")

    async def take_over(self, key: str, claimed_at: datetime, at: datetime) -> bool:
        """One conditional ``UPDATE``: of concurrent take-overs, one matches the old claim."""
        statement = (
            update(idempotency_keys)
            .where(*_open(key, claimed_at))
            .values(created_at=at)
            .returning(_keys.key)
        )
        async with own_transaction(self._engine) as transaction:
            return (await transaction.execute(statement)).first() is not None

    async def complete(self, key: str, claimed_at: datetime, response: StoredResponse) -> None:
        """Store the response once; a key not claimed so, or already complete, is left alone."""
        statement = (
            update(idempotency_keys)
            .where(*_unfinished(key, claimed_at))
            .values(
                response_status=response.status,
                response_body=response.body,
                response_media_type=response.media_type,
            )
        )
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(statement)

    async def release(self, key: str, claimed_at: datetime) -> None:
        """Drop the unfinished claim; a completed key keeps its response."""
        statement = delete(idempotency_keys).where(*_open(key, claimed_at))
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(statement)


def fence_statement(claim: Claim, at: datetime) -> Update:
    """Mark ``claim`` committed, in a unit of work of its request.

    Matches no row if the claim is not that request's any more (taken over, or finished). On
    PostgreSQL the update holds the key's row lock until the unit commits, so a take-over
    waits for the commit and then finds the claim committed; on SQLite it takes the write lock.
    """
    return (
        update(idempotency_keys)
        .where(*_unfinished(claim.key, claim.claimed_at))
        .values(committed_at=func.coalesce(_keys.committed_at, literal(at, UtcDateTime())))
    )


def _unfinished(key: str, claimed_at: datetime) -> tuple[ColumnElement[bool], ...]:
    """The claim of ``key`` made at ``claimed_at``, while it has no response."""
    return (_keys.key == key, _keys.created_at == claimed_at, _keys.response_status.is_(None))


def _open(key: str, claimed_at: datetime) -> tuple[ColumnElement[bool], ...]:
    """Unfinished, and nothing committed under it: it may be taken over or released."""
    return (*_unfinished(key, claimed_at), _keys.committed_at.is_(None))
