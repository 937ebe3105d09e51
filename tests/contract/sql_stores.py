"""Stores of the SQL adapters for the contract suites: a SQLite file and a PostgreSQL database.

Mix one of these in before a contract class; it provides ``sql_engine`` over an empty, migrated
database and the ``new_uow`` factory the suites ask for. The migrated databases themselves are
the session fixtures ``sqlite_template`` and ``postgres_url`` of ``tests/contract/conftest.py``.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import false, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.tables import metadata
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from tests.contract.builders import UnitOfWorkFactory
from tests.integration.databases import empty_postgres, sqlite_url


async def warm_pool(engine: AsyncEngine, connections: int = 4) -> None:
    """Open ``connections`` pooled connections and have each read every table once.

    That is the state a running server's pool is in. The concurrency contracts start several
    units at once and expect each to read before the others commit; a unit that first had to
    connect, or whose new PostgreSQL backend first had to load the catalog, would read late.
    """
    every_table = union_all(
        *(select(literal(1)).select_from(table).where(false()) for table in metadata.sorted_tables)
    )
    async with AsyncExitStack() as stack:
        opened = [stack.enter_async_context(engine.connect()) for _ in range(connections)]
        for connection in await asyncio.gather(*opened):
            await connection.execute(every_table)


class SqliteStore:
    """Each test gets a copy of the migrated template file: empty, and its own."""

    @pytest.fixture
    async def sql_engine(self, sqlite_template: Path, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
        path = tmp_path / "kustodia.db"
        shutil.copyfile(sqlite_template, path)
        engine = create_engine(sqlite_url(path))
        await warm_pool(engine)
        yield engine
        await engine.dispose()

    @pytest.fixture
    async def new_uow(self, sql_engine: AsyncEngine) -> UnitOfWorkFactory:
        return lambda: SqlUnitOfWork(sql_engine)


@pytest.mark.integration
class PostgresStore:
    """Each test empties the run's migrated PostgreSQL database first."""

    @pytest.fixture
    async def sql_engine(self, postgres_url: str) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(postgres_url)
        await empty_postgres(engine)
        await warm_pool(engine)
        yield engine
        await engine.dispose()

    @pytest.fixture
    async def new_uow(self, sql_engine: AsyncEngine) -> UnitOfWorkFactory:
        return lambda: SqlUnitOfWork(sql_engine)
