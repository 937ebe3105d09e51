"""The queue of reconciliation differences on SQLite and PostgreSQL.

The contract of ``test_reconciliation_queue.py``.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.reconciliation_queue import SqlReconciliationQueue
from kustodia_domain.ports.reconciliation_queue import ReconciliationQueue
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_reconciliation_queue import ReconciliationQueueContract


class SqlQueue:
    @pytest.fixture
    def queue(self, sql_engine: AsyncEngine) -> ReconciliationQueue:
        return SqlReconciliationQueue(sql_engine)


class TestSqliteReconciliationQueue(SqliteStore, SqlQueue, ReconciliationQueueContract):
    pass


class TestPostgresReconciliationQueue(PostgresStore, SqlQueue, ReconciliationQueueContract):
    pass
