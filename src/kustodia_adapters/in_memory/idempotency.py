"""Idempotency keys in a dict; a lock makes a claim atomic."""

from __future__ import annotations

import asyncio
from datetime import datetime

import attrs

from kustodia_domain.ports.idempotency import IdempotencyRecord, IdempotencyStore, StoredResponse


class InMemoryIdempotencyStore(IdempotencyStore):
    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}
        self._lock = asyncio.Lock()

    async def claim(self, key: str, request_hash: str, at: datetime) -> IdempotencyRecord | None:
        async with self._lock:
            existing = self._records.get(key)
            if existing is not None:
                return existing
            self._records[key] = IdempotencyRecord(
                key=key, request_hash=request_hash, created_at=at
            )
            return None

    async def take_over(self, key: str, claimed_at: datetime, at: datetime) -> bool:
        async with self._lock:
            record = self._records.get(key)
            if record is None or not _unfinished(record, claimed_at):
                return False
            self._records[key] = attrs.evolve(record, created_at=at)
            return True

    async def complete(self, key: str, claimed_at: datetime, response: StoredResponse) -> None:
        async with self._lock:
            record = self._records.get(key)
            if record is not None and _unfinished(record, claimed_at):
                self._records[key] = attrs.evolve(record, response=response)

    async def release(self, key: str, claimed_at: datetime) -> None:
        async with self._lock:
            record = self._records.get(key)
            if record is not None and _unfinished(record, claimed_at):
                del self._records[key]


def _unfinished(record: IdempotencyRecord, claimed_at: datetime) -> bool:
    """Whether ``record`` is still the claim made at ``claimed_at``, without a response."""
    return record.response is None and record.created_at == claimed_at
