"""The outbox: messages unique by key, pending until marked dispatched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import OutboxEntry, StoreState
from kustodia_domain.ports.outbox import Outbox, OutboxMessage
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc


def _add(state: StoreState, message: OutboxMessage) -> None:
    # setdefault: a key that is already there keeps its first message, dispatched or not.
    state.outbox.setdefault(message.key, OutboxEntry(message=message))


def _mark(state: StoreState, key: str, at: datetime) -> None:
    entry = state.outbox.get(key)
    if entry is None:
        raise NotFoundError("outbox message", key)
    if entry.dispatched_at is None:
        state.outbox[key] = attrs.evolve(entry, dispatched_at=at)


class InMemoryOutbox(Outbox):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, message: OutboxMessage) -> None:
        # Messages are frozen; the payload mapping is copied so a caller's dict cannot change it.
        stored = attrs.evolve(message, payload=dict(message.payload))
        self._transaction().write(lambda state: _add(state, stored))

    async def pending(self, limit: int) -> Sequence[OutboxMessage]:
        entries = self._transaction().state.outbox.values()
        waiting = [e.message for e in entries if e.dispatched_at is None]
        # sorted() is stable, so messages created at the same instant keep their insertion order.
        oldest = sorted(waiting, key=lambda m: m.created_at)[:limit]
        return [attrs.evolve(m, payload=dict(m.payload)) for m in oldest]

    async def mark_dispatched(self, key: str, at: datetime) -> None:
        """Idempotent: the first dispatch time is kept.

        Raises:
            NotFoundError: no message has ``key``.
        """
        moment = ensure_utc(at)
        self._transaction().write(lambda state: _mark(state, key, moment))
