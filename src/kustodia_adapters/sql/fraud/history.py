"""The screened-event history with point-in-time queries, append-only in the database.

An append is three statements in one transaction: the entry (event, decision, shadow
decisions), then one multi-row ``INSERT`` each into the two index tables. A window query reads
one range of ``pk_risk_history_keys`` per kind asked for and joins each hit to its entry by
primary key; the values-used query groups one range of ``pk_risk_history_values``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from kustodia_adapters.sql.mappers.fraud import (
    STORED_SEQUENCE_OFFSET,
    entry_from_row,
    event_from_row,
    history_row,
    index_rows,
)
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import risk_history, risk_history_keys, risk_history_values
from kustodia_domain.fraud.history import HistoryEntry, HistoryKey
from kustodia_domain.fraud.screening import RiskDecision, RiskEvent
from kustodia_domain.ports.risk_history import RiskHistory
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError
from kustodia_domain.shared.time import ensure_utc

_h = risk_history.c
_k = risk_history_keys.c
_v = risk_history_values.c
_EVENT_COLUMNS = (_h.event_id, _h.kind, _h.occurred_at, _h.actor_id, _h.escrow_id)


def _window(
    table_columns: ReadOnlyColumnCollection[str, Column[Any]],
    key: HistoryKey,
    until: datetime,
    since: datetime | None,
    recorded_before: int | None,
) -> list[ColumnElement[bool]]:
    """``key``'s rows with ``since <= occurred_at < until`` recorded before ``recorded_before``."""
    dimension, value = key
    where = [
        table_columns.dimension == dimension,
        table_columns.value == value,
        table_columns.occurred_at < ensure_utc(until, field="until"),
    ]
    if since is not None:
        where.append(table_columns.occurred_at >= ensure_utc(since, field="since"))
    if recorded_before is not None:
        where.append(table_columns.sequence < recorded_before + STORED_SEQUENCE_OFFSET)
    return where


class SqlRiskHistory(RiskHistory):
    """Entries are written once and never change (triggers refuse UPDATE and DELETE).

    Sequences increase in recording order and count from 0 in a new database; a rolled-back
    append may leave a gap on PostgreSQL, which no query cares about. An event id is recorded
    once: appending it again raises ``ConcurrencyConflictError`` (only a concurrent screening
    of the same event gets there; retrying it finds the recorded decision).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(
        self, event: RiskEvent, decision: RiskDecision, shadow: tuple[RiskDecision, ...] = ()
    ) -> HistoryEntry:
        ensure_utc(event.occurred_at, field="occurred_at")
        async with own_transaction(self._engine) as transaction:
            statement = (
                insert(risk_history)
                .values(history_row(event, decision, shadow))
                .returning(_h.sequence)
            )
            try:
                stored: int = (await transaction.execute(statement)).scalar_one()
            except ConcurrencyConflictError:
                raise
            except ConflictError as error:
                raise ConcurrencyConflictError(
                    f"event {event.event_id} was recorded by a concurrent screening"
                ) from error
            keys, values = index_rows(event, stored)
            for table, rows in ((risk_history_keys, keys), (risk_history_values, values)):
                if rows:
                    await transaction.execute(insert(table).values(rows))
        # The caller keeps its own objects; the database holds the copy.
        return HistoryEntry(
            event=event,
            decision=decision,
            shadow=shadow,
            sequence=stored - STORED_SEQUENCE_OFFSET,
        )

    async def entry(self, event_id: str) -> HistoryEntry | None:
        rows = await self._rows(select(risk_history).where(_h.event_id == event_id))
        return entry_from_row(rows[0]) if rows else None

    async def entries(self) -> Sequence[HistoryEntry]:
        rows = await self._rows(select(risk_history).order_by(_h.sequence))
        return [entry_from_row(row) for row in rows]

    async def events(
        self,
        key: HistoryKey,
        *,
        until: datetime,
        since: datetime | None = None,
        kinds: frozenset[str] | None = None,
        recorded_before: int | None = None,
    ) -> Sequence[RiskEvent]:
        where = _window(_k, key, until, since, recorded_before)
        if kinds is not None:
            if not kinds:
                return ()
            where.append(_k.kind.in_(sorted(kinds)))
        query = (
            select(*_EVENT_COLUMNS, _h.currency, _h.amount_minor, _h.attributes)
            .select_from(risk_history_keys)
            .join(risk_history, _h.sequence == _k.sequence)
            .where(*where)
            .order_by(_k.occurred_at, _k.sequence)
        )
        return [event_from_row(row) for row in await self._rows(query)]

    async def values_used(
        self,
        key: HistoryKey,
        attribute: str,
        *,
        until: datetime,
        since: datetime | None = None,
        recorded_before: int | None = None,
    ) -> Mapping[str, tuple[datetime, datetime]]:
        query = (
            select(
                _v.used_value,
                func.min(_v.occurred_at).label("first"),
                func.max(_v.occurred_at).label("last"),
            )
            .where(*_window(_v, key, until, since, recorded_before), _v.attribute == attribute)
            .group_by(_v.used_value)
        )
        return {row["used_value"]: (row["first"], row["last"]) for row in await self._rows(query)}

    async def _rows(self, query: Select[Any]) -> list[Any]:
        async with self._engine.connect() as connection:
            return list((await connection.execute(query)).mappings())
