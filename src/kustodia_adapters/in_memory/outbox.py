"""The outbox: messages unique by key, pending until dispatched or dead, claimed under leases."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import OutboxEntry, StoreState
from kustodia_domain.ports.outbox import ClaimedMessage, DeadLetter, Outbox, OutboxMessage
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError
from kustodia_domain.shared.time import ensure_utc


def _add(state: StoreState, message: OutboxMessage) -> None:
    # setdefault: a key that is already there keeps its first message, dispatched or not.
    state.outbox.setdefault(message.key, OutboxEntry(message=message))


def _entry(state: StoreState, key: str) -> OutboxEntry:
    entry = state.outbox.get(key)
    if entry is None:
        raise NotFoundError("outbox message", key)
    return entry


def _holds(entry: OutboxEntry, claim: ClaimedMessage) -> bool:
    """Whether ``claim`` still holds ``entry``: waiting, leased to it, at its attempt."""
    return entry.waiting and entry.leased_by == claim.leased_by and entry.attempts == claim.attempts


def _complete(state: StoreState, key: str, at: datetime) -> None:
    entry = _entry(state, key)
    if entry.dispatched_at is None:
        state.outbox[key] = attrs.evolve(
            entry, dispatched_at=at, leased_by=None, leased_until=None, dead_at=None
        )


def _copy(message: OutboxMessage) -> OutboxMessage:
    return attrs.evolve(message, payload=dict(message.payload))


class InMemoryOutbox(Outbox):
    """The outbox of one unit of work over the in-memory store.

    Claims are checked again when the unit commits: a message another unit claimed meanwhile
    makes the commit fail with :class:`ConcurrencyConflictError`.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, message: OutboxMessage) -> None:
        # Messages are frozen; the payload mapping is copied so a caller's dict cannot change it.
        stored = _copy(message)
        self._transaction().write(lambda state: _add(state, stored))

    async def pending(self, limit: int) -> Sequence[OutboxMessage]:
        entries = self._transaction().state.outbox.values()
        waiting = [e.message for e in entries if e.waiting]
        # sorted() is stable, so messages created at the same instant keep their insertion order.
        oldest = sorted(waiting, key=lambda m: m.created_at)[:limit]
        return [_copy(m) for m in oldest]

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
        wanted = set(topics)
        entries = self._transaction().state.outbox.values()
        ready = [e for e in entries if e.message.topic in wanted and e.claimable(moment)]
        keys = [e.message.key for e in sorted(ready, key=lambda e: e.message.created_at)[:limit]]

        def take(state: StoreState) -> list[ClaimedMessage]:
            claimed = []
            for key in keys:
                entry = state.outbox[key]
                if not entry.claimable(moment):
                    raise ConcurrencyConflictError(f"outbox message {key} was claimed meanwhile")
                entry = attrs.evolve(
                    entry, attempts=entry.attempts + 1, leased_by=worker_id, leased_until=until
                )
                state.outbox[key] = entry
                claimed.append(
                    ClaimedMessage(
                        message=_copy(entry.message),
                        attempts=entry.attempts,
                        leased_by=worker_id,
                        leased_until=until,
                    )
                )
            return claimed

        return self._transaction().write(take)

    async def complete(self, key: str, at: datetime) -> None:
        moment = ensure_utc(at)
        self._transaction().write(lambda state: _complete(state, key, moment))

    async def fail(
        self, claim: ClaimedMessage, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        moment = ensure_utc(at)
        again = None if retry_at is None else ensure_utc(retry_at)

        def failed(state: StoreState) -> None:
            entry = state.outbox.get(claim.key)
            if entry is None or not _holds(entry, claim):
                return
            state.outbox[claim.key] = attrs.evolve(
                entry,
                leased_by=None,
                leased_until=None,
                last_error=error,
                retry_at=again,
                dead_at=moment if again is None else None,
            )

        self._transaction().write(failed)

    async def release(self, claim: ClaimedMessage, retry_at: datetime | None) -> None:
        again = None if retry_at is None else ensure_utc(retry_at)

        def released(state: StoreState) -> None:
            entry = state.outbox.get(claim.key)
            if entry is None or not _holds(entry, claim):
                return
            state.outbox[claim.key] = attrs.evolve(
                entry,
                attempts=max(entry.attempts - 1, 0),
                leased_by=None,
                leased_until=None,
                retry_at=again,
            )

        self._transaction().write(released)

    async def dead(self, limit: int) -> Sequence[DeadLetter]:
        entries = [e for e in self._transaction().state.outbox.values() if e.dead_at is not None]
        latest = sorted(entries, key=lambda e: e.dead_at or e.message.created_at, reverse=True)
        return [
            DeadLetter(
                message=_copy(e.message),
                attempts=e.attempts,
                last_error=e.last_error,
                dead_at=e.dead_at,
            )
            for e in latest[:limit]
            if e.dead_at is not None
        ]

    async def retry_dead(self, key: str) -> None:
        def revived(state: StoreState) -> None:
            entry = state.outbox.get(key)
            if entry is None or entry.dead_at is None:
                raise NotFoundError("dead outbox message", key)
            state.outbox[key] = attrs.evolve(entry, dead_at=None, attempts=0, retry_at=None)

        self._transaction().write(revived)
