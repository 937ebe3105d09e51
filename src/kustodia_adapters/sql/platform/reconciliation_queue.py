"""The queue of differences between the books and the rail, keyed by kind and subject."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.reconciliation import difference_from_row, difference_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import reconciliation_differences
from kustodia_domain.ports.reconciliation_queue import (
    DifferenceKind,
    ReconciliationDifference,
    ReconciliationQueue,
)
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_d = reconciliation_differences.c

_KINDS: Final = frozenset(kind.value for kind in DifferenceKind)


class SqlReconciliationQueue(ReconciliationQueue):
    """One statement per call (a ``resolve`` of a resolved difference reads it once more).

    ``add`` is ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: of concurrent adds of one key
    exactly one writes. Open differences are one range scan of a partial index, oldest found
    first, ties by kind then subject (the order of the key, as the database collates it).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, difference: ReconciliationDifference) -> bool:
        async with own_transaction(self._engine) as transaction:
            statement = (
                transaction.dialect.upsert(reconciliation_differences)
                .values(difference_values(difference))
                .on_conflict_do_nothing(index_elements=[_d.kind, _d.subject])
                .returning(_d.kind)
            )
            return (await transaction.execute(statement)).first() is not None

    async def list_open(self) -> Sequence[ReconciliationDifference]:
        query = (
            select(reconciliation_differences)
            # Spelled as the partial index's predicate, so the planners use it.
            .where(_d.resolved_at.is_(None))
            .order_by(_d.found_at, _d.kind, _d.subject)
        )
        async with own_transaction(self._engine) as transaction:
            rows = (await transaction.execute(query)).mappings().all()
        return [difference_from_row(row) for row in rows]

    async def resolve(self, key: str, at: datetime) -> ReconciliationDifference:
        """Resolve an open difference at ``at``; a resolved one keeps its first resolution.

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: no difference has that key (or ``key`` is not a queue key at all).
        """
        resolved_at = ensure_utc(at)
        # No kind has a colon in its name, so the first one ends it; a subject may hold more.
        kind, colon, subject = key.partition(":")
        if not colon or kind not in _KINDS:
            raise NotFoundError("reconciliation difference", key)
        same_key = (_d.kind == kind, _d.subject == subject)
        statement = (
            update(reconciliation_differences)
            .where(*same_key, _d.resolved_at.is_(None))
            .values(resolved_at=resolved_at)
            .returning(*reconciliation_differences.c)
        )
        async with own_transaction(self._engine) as transaction:
            row = (await transaction.execute(statement)).mappings().first()
            if row is None:
                query = select(reconciliation_differences).where(*same_key)
                row = (await transaction.execute(query)).mappings().first()
        if row is None:
            raise NotFoundError("reconciliation difference", key)
        return difference_from_row(row)
