"""Idempotency keys in a dict; a lock makes a claim atomic."""

from __future__ import annotations

import asyncio
from datetime import datetime

import attrs

from kustodia_domain.ports.idempotency import (
    Claim,
    IdempotencyRecord,
    IdempotencyStore,
    StoredResponse,
)


class InMemoryIdempotencyStore(IdempotencyStore):
    """Claims in a dict under a lock; units of work fence their commit with :meth:`fence`."""

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
            if record is None or not _open(record, claimed_at):
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
            if record is not None and _open(record, claimed_at):
                del self._records[key]

    async def fence(self, claim: Claim, at: datetime) -> bool:
        """Mark ``claim`` committed at ``at`` if it is still unfinished; whether it was.

        Called by a unit of work of the claim's request while it holds the store's lock, after
        its writes were checked and before they are published, so nothing is published under
        a claim that was taken over, and a claim marked here is never taken over.
        """
        async with self._lock:
            record = self._records.get(claim.key)
            if record is None or not _unfinished(record, claim.claimed_at):
                return False
            if record.committed_at is None:
                self._records[claim.key] = attrs.evolve(record, committed_at=at)
            return True


def _unfinished(record: IdempotencyRecord, claimed_at: datetime) -> bool:
    """Whether ``record`` is still the claim made at ``claimed_at``, without a response."""
    return record.response is None and record.created_at == claimed_at


def _open(record: IdempotencyRecord, claimed_at: datetime) -> bool:
    """Unfinished, and nothing committed under it: it may be taken over or released."""
    return _unfinished(record, claimed_at) and record.committed_at is None
