"""The commit fence of ``test_commit_fence.py`` on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.sql.platform.idempotency import SqlIdempotencyStore
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ports.idempotency import IdempotencyStore
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_commit_fence import CommitFenceContract, FencedUnit


class SqlCommitFence:
    @pytest.fixture
    def keys(self, sql_engine: AsyncEngine) -> IdempotencyStore:
        return SqlIdempotencyStore(sql_engine)

    @pytest.fixture
    def fenced(self, sql_engine: AsyncEngine, clock: FixedClock) -> FencedUnit:
        return lambda claim: SqlUnitOfWork(sql_engine, claim=claim, clock=clock)


class TestSqliteCommitFence(SqliteStore, SqlCommitFence, CommitFenceContract):
    pass


class TestPostgresCommitFence(PostgresStore, SqlCommitFence, CommitFenceContract):
    pass
