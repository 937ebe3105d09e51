"""Ledger rows can be inserted, never updated or deleted: the database itself refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import Executable, delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.tables import ledger_postings, ledger_transactions
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from tests.contract.builders import deposit_into


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


@pytest.mark.integration
@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
async def test_postgresql_refuses_to_truncate_the_ledger(
    engine_with_a_posting: AsyncEngine,
) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine_with_a_posting.begin() as connection:
            await connection.execute(text("TRUNCATE ledger_postings, ledger_transactions"))
