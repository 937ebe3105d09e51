"""Ledger rows can be inserted, never updated or deleted: the database itself refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import Executable, Table, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.tables import ledger_postings, ledger_transactions
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from tests.contract.builders import deposit_into
from tests.contract.test_sql_store_rules import replacing


@pytest.fixture
async def engine_with_a_posting(sql_engine: AsyncEngine) -> AsyncEngine:
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
        await uow.commit()
    return sql_engine


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(update(ledger_transactions).values(description="edited"), id="update-tx"),
        pytest.param(update(ledger_postings).values(amount_minor=1), id="update-posting"),
        pytest.param(delete(ledger_postings), id="delete-postings"),
        pytest.param(delete(ledger_transactions), id="delete-tx"),
    ],
)
async def test_changing_or_removing_ledger_rows_is_refused(
    engine_with_a_posting: AsyncEngine, statement: Executable
) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine_with_a_posting.begin() as connection:
            await connection.execute(statement)

    async with SqlUnitOfWork(engine_with_a_posting) as uow:
        history = await uow.ledger.transactions_for_escrow("esc_1")
    assert [(t.key, t.description) for t in history] == [("dep-1", "test")]


@pytest.mark.parametrize("table", [ledger_transactions, ledger_postings], ids=lambda t: t.name)
async def test_replacing_ledger_rows_is_refused(
    engine_with_a_posting: AsyncEngine, table: Table
) -> None:
    async with engine_with_a_posting.connect() as connection:
        rows = (await connection.execute(select(table))).mappings().all()
    changed = {**rows[0], **{column: "edited" for column in ("description",) if column in rows[0]}}
    if "amount_minor" in changed:
        changed["amount_minor"] = 1

    with pytest.raises(DBAPIError, match="append-only"):
        async with engine_with_a_posting.begin() as connection:
            await connection.execute(replacing(engine_with_a_posting, table, changed))

    async with engine_with_a_posting.connect() as connection:
        assert (await connection.execute(select(table))).mappings().all() == rows


@pytest.mark.integration
@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
async def test_postgresql_refuses_to_truncate_the_ledger(
    engine_with_a_posting: AsyncEngine,
) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine_with_a_posting.begin() as connection:
            await connection.execute(text("TRUNCATE ledger_postings, ledger_transactions"))
