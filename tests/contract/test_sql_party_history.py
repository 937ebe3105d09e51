"""Party histories counted in SQL, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.history import SqlPartyHistoryReader
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_party_history import PartyHistoryReaderContract


class TestSqlitePartyHistoryReader(SqliteStore, PartyHistoryReaderContract):
    @pytest.fixture
    async def reader(self, sql_engine: AsyncEngine) -> SqlPartyHistoryReader:
        return SqlPartyHistoryReader(sql_engine)


class TestPostgresPartyHistoryReader(PostgresStore, PartyHistoryReaderContract):
    @pytest.fixture
    async def reader(self, sql_engine: AsyncEngine) -> SqlPartyHistoryReader:
        return SqlPartyHistoryReader(sql_engine)
