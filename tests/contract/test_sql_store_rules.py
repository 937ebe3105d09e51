"""What the SQL stores promise beyond their ports: append-only tables and constraints.

Run on SQLite and PostgreSQL; the database itself refuses, whatever code path writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest
from attrs import AttrsInstance
from sqlalchemy import Executable, Table, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.fraud.history import SqlRiskHistory
from kustodia_adapters.sql.fraud.lists import SqlRiskLists
from kustodia_adapters.sql.fraud.overrides import SqlOverrideRepository
from kustodia_adapters.sql.mappers.fraud import (
    alert_values,
    history_row,
    list_entry_values,
    override_values,
    profile_values,
)
from kustodia_adapters.sql.mappers.tickets import ticket_values
from kustodia_adapters.sql.platform.audit import SqlAuditTrail
from kustodia_adapters.sql.tables import (
    audit_entries,
    risk_history,
    risk_history_keys,
    risk_history_values,
)
from kustodia_domain.audit.chain import AuditRecord, verify
from kustodia_domain.fraud.lists import ListKind, identifier
from kustodia_domain.fraud.overrides import OverrideState
from kustodia_domain.shared.errors import ConcurrencyConflictError
from kustodia_domain.support.model import Ticket
from tests.contract.fraud_builders import (
    PAYER,
    T0,
    alert,
    allow,
    event,
    held,
    list_entry,
    override,
    profile,
)
from tests.contract.sql_stores import PostgresStore, SqliteStore

APPEND_ONLY = (audit_entries, risk_history, risk_history_keys, risk_history_values)


def _record(n: int) -> AuditRecord:
    return AuditRecord(actor_id="adm_1", action="x", subject_type="t", subject_id=str(n), at=T0)


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        count: int = (
            await connection.execute(select(func.count()).select_from(table))
        ).scalar_one()
        return count


async def _fill_append_only_tables(engine: AsyncEngine) -> None:
    await SqlAuditTrail(engine).append(_record(1))
    await SqlRiskHistory(engine).append(event("e1", device="d1"), allow("e1"))


def replacing(engine: AsyncEngine, table: Table, row: dict[str, Any]) -> Executable:
    """An insert of ``row`` that replaces the stored row with its key, as each database spells it.

    SQLite's ``INSERT OR REPLACE`` deletes the stored row first; PostgreSQL's upsert updates it.
    """
    if engine.dialect.name == "sqlite":
        return insert(table).prefix_with("OR REPLACE").values(row)
    keys = [column.name for column in table.primary_key.columns]
    return postgresql.insert(table).values(row).on_conflict_do_update(index_elements=keys, set_=row)


def _fields(record: AttrsInstance) -> set[str]:
    """The record's fields, except the pending events an aggregate never stores."""
    return {f.name for f in attrs.fields(type(record))} - {"pending_events"}


def test_every_field_of_the_stored_records_has_a_place_in_its_row() -> None:
    """A field added to a record fails here until its mapper and table keep it."""
    screened = event("e1")
    ticket = Ticket.open(ticket_id="t", owner_id="u", subject="s", body="b", at=T0)
    rows = [
        (set(history_row(screened, allow("e1"), ())), _fields(screened) - {"amount"}),
        (set(profile_values(profile(PAYER))), _fields(profile(PAYER))),
        (set(list_entry_values(list_entry("1", "a@b.mx"))), _fields(list_entry("1", "a@b.mx"))),
        (set(alert_values(alert("a", "e1"))), _fields(alert("a", "e1"))),
        (set(override_values(override("o", "e1"))), _fields(override("o", "e1"))),
        (set(ticket_values(ticket, version=1)), _fields(ticket)),
    ]

    for columns, fields in rows:
        assert fields <= columns, fields - columns


class SqlStoreRules:
    @pytest.mark.parametrize("table", APPEND_ONLY, ids=lambda t: t.name)
    async def test_append_only_rows_cannot_be_updated_or_deleted(
        self, sql_engine: AsyncEngine, table: Table
    ) -> None:
        await _fill_append_only_tables(sql_engine)
        column = next(iter(table.primary_key.columns))
        stored = await _count(sql_engine, table)

        for statement in (update(table).values({column.name: column}), delete(table)):
            with pytest.raises(DBAPIError, match="append-only"):
                async with sql_engine.begin() as connection:
                    await connection.execute(statement)

        assert await _count(sql_engine, table) == stored > 0

    @pytest.mark.parametrize("table", APPEND_ONLY, ids=lambda t: t.name)
    async def test_append_only_rows_cannot_be_replaced(
        self, sql_engine: AsyncEngine, table: Table
    ) -> None:
        await _fill_append_only_tables(sql_engine)
        async with sql_engine.connect() as connection:
            stored = (await connection.execute(select(table))).mappings().all()

        with pytest.raises(DBAPIError, match="append-only"):
            async with sql_engine.begin() as connection:
                await connection.execute(replacing(sql_engine, table, dict(stored[0])))

        async with sql_engine.connect() as connection:
            assert (await connection.execute(select(table))).mappings().all() == stored

    async def test_appends_from_separate_engines_form_one_chain(
        self, sql_engine: AsyncEngine
    ) -> None:
        # Two engines are two processes as far as the database can tell.
        other = create_engine(sql_engine.url)
        try:
            trails = (SqlAuditTrail(sql_engine), SqlAuditTrail(other))
            await asyncio.gather(*(trails[n % 2].append(_record(n)) for n in range(16)))
        finally:
            await other.dispose()

        entries = await trails[0].entries(offset=0, limit=100)
        assert [e.sequence for e in entries] == list(range(1, 17))
        assert verify(entries).ok

    async def test_an_event_is_recorded_in_the_history_once(self, sql_engine: AsyncEngine) -> None:
        history = SqlRiskHistory(sql_engine)
        await history.append(event("e1"), allow("e1"))
        keys = await _count(sql_engine, risk_history_keys)

        with pytest.raises(ConcurrencyConflictError):
            await history.append(event("e1", device="d2"), held("e1"))

        assert len(await history.entries()) == 1
        assert await _count(sql_engine, risk_history_keys) == keys
        assert await _count(sql_engine, risk_history_values) == 0

    async def test_a_decision_is_stored_as_json_with_outcome_labels(
        self, sql_engine: AsyncEngine
    ) -> None:
        await SqlRiskHistory(sql_engine).append(event("e1"), held("e1"), (allow("e1"),))
        async with sql_engine.connect() as connection:
            row = (await connection.execute(select(risk_history))).mappings().one()

        assert (row["outcome"], row["score"], row["ruleset"]) == ("hold", 40, "ruleset-sha")
        assert row["decision"]["outcome"] == "hold"
        assert [f["outcome"] for f in row["decision"]["fired"]] == ["hold", "review"]
        assert [d["outcome"] for d in row["shadow"]] == ["allow"]

    async def test_an_override_decided_by_its_requester_is_refused_by_the_table(
        self, sql_engine: AsyncEngine
    ) -> None:
        overrides = SqlOverrideRepository(sql_engine)
        # The domain refuses this; the table is the last line if code ever builds it anyway.
        approved_alone = attrs.evolve(
            override("ovr_1", "evt_1"),
            state=OverrideState.APPROVED,
            decided_by="admin_1",
            decided_at=T0,
            pending_events=[],
        )

        with pytest.raises(IntegrityError):
            await overrides.save(approved_alone)

        assert await overrides.get("ovr_1") is None

    async def test_an_entry_added_again_under_its_id_is_found_only_by_its_new_value(
        self, sql_engine: AsyncEngine
    ) -> None:
        lists = SqlRiskLists(sql_engine)
        await lists.add(list_entry("1", "Juan Perez", kind=ListKind.NAME))
        await lists.add(list_entry("1", "a@b.mx"))

        assert not await lists.names_sharing_tokens(["perez"], T0)
        assert not await lists.active_matches({identifier(ListKind.NAME, "Juan Perez")}, T0)
        found = await lists.active_matches({identifier(ListKind.EMAIL, "a@b.mx")}, T0)
        assert [e.value for e in found] == ["a@b.mx"]


class TestSqliteStoreRules(SqliteStore, SqlStoreRules):
    pass


class TestPostgresStoreRules(PostgresStore, SqlStoreRules):
    @pytest.mark.parametrize("table", APPEND_ONLY, ids=lambda t: t.name)
    async def test_append_only_tables_cannot_be_truncated(
        self, sql_engine: AsyncEngine, table: Table
    ) -> None:
        await _fill_append_only_tables(sql_engine)

        with pytest.raises(DBAPIError, match="append-only"):
            async with sql_engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {table.name} CASCADE"))
