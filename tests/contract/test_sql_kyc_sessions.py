"""KYC sessions on SQLite and PostgreSQL: the contract of ``test_kyc_sessions.py``."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.kyc import SqlKycSessions
from kustodia_domain.ports.kyc import KycSessions
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_kyc_sessions import KycSessionsContract


class SqlSessions:
    @pytest.fixture
    def sessions(self, sql_engine: AsyncEngine) -> KycSessions:
        return SqlKycSessions(sql_engine)


class TestSqliteKycSessions(SqliteStore, SqlSessions, KycSessionsContract):
    pass


class TestPostgresKycSessions(PostgresStore, SqlSessions, KycSessionsContract):
    pass
