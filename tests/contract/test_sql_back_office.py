"""The back office's reads on SQLite and PostgreSQL: the same contract as in memory."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.back_office import SqlBackOfficeReads
from kustodia_domain.ports.back_office import BackOfficeReads
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_back_office import BackOfficeReadsContract


class TestSqliteBackOfficeReads(SqliteStore, BackOfficeReadsContract):
    @pytest.fixture
    async def reads(self, sql_engine: AsyncEngine) -> BackOfficeReads:
        return SqlBackOfficeReads(sql_engine)


class TestPostgresBackOfficeReads(PostgresStore, BackOfficeReadsContract):
    @pytest.fixture
    async def reads(self, sql_engine: AsyncEngine) -> BackOfficeReads:
        return SqlBackOfficeReads(sql_engine)
