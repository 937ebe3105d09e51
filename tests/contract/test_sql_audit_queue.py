"""The audit queue on SQLite and PostgreSQL: the same contract as in memory."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.audit import SqlAuditTrail
from kustodia_domain.ports.audit import AuditTrail
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_audit_queue import AuditQueueContract


class SqlTrail:
    @pytest.fixture
    def trail(self, sql_engine: AsyncEngine) -> AuditTrail:
        return SqlAuditTrail(sql_engine)


class TestSqliteAuditQueue(SqliteStore, SqlTrail, AuditQueueContract):
    pass


class TestPostgresAuditQueue(PostgresStore, SqlTrail, AuditQueueContract):
    pass
