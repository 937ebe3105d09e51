"""Block, watch and external lists, queried as of a moment; entries are never deleted."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.fraud import list_entry_from_row, list_entry_values, name_tokens
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import risk_list_entries, risk_list_name_tokens
from kustodia_adapters.sql.upserts import insert_or_replace
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListName, RiskLists
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_l = risk_list_entries.c
_t = risk_list_name_tokens.c


def _active(at: datetime) -> ColumnElement[bool]:
    """Added by ``at``, and neither expired nor removed by then."""
    return and_(
        _l.added_at <= at,
        or_(_l.expires_at.is_(None), _l.expires_at > at),
        or_(_l.removed_at.is_(None), _l.removed_at > at),
    )


class SqlRiskLists(RiskLists):
    """Lookups are one statement: by ``(kind, value)`` or through the name-token table.

    Matches come back ordered by entry id, a list's entries oldest first. An entry added again
    under its id replaces the old one, identifier and name tokens included.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, entry: ListEntry) -> None:
        async with own_transaction(self._engine) as transaction:
            await insert_or_replace(
                transaction, risk_list_entries, list_entry_values(entry), key=("entry_id",)
            )
            await transaction.execute(
                delete(risk_list_name_tokens).where(_t.entry_id == entry.entry_id)
            )
            tokens = name_tokens(entry)
            if tokens:
                await transaction.execute(insert(risk_list_name_tokens).values(tokens))

    async def remove(self, entry_id: str, *, at: datetime, by: str) -> None:
        """Raises ``NotFoundError`` if no entry has this id."""
        statement = (
            update(risk_list_entries)
            .where(_l.entry_id == entry_id)
            .values(removed_at=ensure_utc(at), removed_by=by)
        )
        async with own_transaction(self._engine) as transaction:
            if not (await transaction.execute(statement)).rowcount:
                raise NotFoundError("list entry", entry_id)

    async def entry(self, entry_id: str) -> ListEntry | None:
        found = await self._entries(select(risk_list_entries).where(_l.entry_id == entry_id))
        return found[0] if found else None

    async def listed(self, list_name: ListName, at: datetime) -> tuple[ListEntry, ...]:
        """Oldest first (ties by id)."""
        query = (
            select(risk_list_entries)
            .where(_l.list_name == list_name.value, _active(ensure_utc(at)))
            .order_by(_l.added_at, _l.entry_id)
        )
        return await self._entries(query)

    async def active_matches(
        self, identifiers: Collection[Identifier], at: datetime
    ) -> tuple[ListEntry, ...]:
        pairs = sorted({(kind.value, value) for kind, value in identifiers})
        if not pairs:
            return ()
        # One index probe per identifier on both databases (a row-value IN may scan on SQLite).
        matching = or_(*(and_(_l.kind == kind, _l.value == value) for kind, value in pairs))
        query = select(risk_list_entries).where(matching, _active(ensure_utc(at)))
        return await self._entries(query.order_by(_l.entry_id))

    async def names_sharing_tokens(
        self, tokens: Collection[str], at: datetime
    ) -> tuple[ListEntry, ...]:
        wanted = sorted(set(tokens))
        if not wanted:
            return ()
        sharing = select(_t.entry_id).where(_t.token.in_(wanted))
        query = select(risk_list_entries).where(_l.entry_id.in_(sharing), _active(ensure_utc(at)))
        return await self._entries(query.order_by(_l.entry_id))

    async def _entries(self, query: Select[Any]) -> tuple[ListEntry, ...]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings()
            return tuple(list_entry_from_row(row) for row in rows)
