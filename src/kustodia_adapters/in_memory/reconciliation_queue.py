"""The queue of reconciliation differences in a dict, keyed by kind and subject."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import attrs

from kustodia_domain.ports.reconciliation_queue import (
    ReconciliationDifference,
    ReconciliationQueue,
)
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc


class InMemoryReconciliationQueue(ReconciliationQueue):
    """Stores frozen differences, so reads can hand them out without copying."""

    def __init__(self) -> None:
        self._differences: dict[str, ReconciliationDifference] = {}
        self._lock = asyncio.Lock()

    async def add(self, difference: ReconciliationDifference) -> bool:
        async with self._lock:
            if difference.key in self._differences:
                return False
            self._differences[difference.key] = difference
            return True

    async def list_open(self) -> Sequence[ReconciliationDifference]:
        open_ = [d for d in self._differences.values() if d.resolved_at is None]
        return sorted(open_, key=lambda d: (d.found_at, d.key))

    async def resolve(self, key: str, at: datetime) -> ReconciliationDifference:
        resolved_at = ensure_utc(at)
        async with self._lock:
            stored = self._differences.get(key)
            if stored is None:
                raise NotFoundError("reconciliation difference", key)
            if stored.resolved_at is None:
                stored = attrs.evolve(stored, resolved_at=resolved_at)
                self._differences[key] = stored
            return stored
