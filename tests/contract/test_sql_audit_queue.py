"""The audit queue on SQLite and PostgreSQL: the same contract as in memory."""

import asyncio

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.audit import SqlAuditTrail
from kustodia_adapters.sql.tables import audit_chain_lock
from kustodia_domain.ports.audit import AuditTrail
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_audit_queue import AuditQueueContract, record


class SqlTrail:
    @pytest.fixture
    def trail(self, sql_engine: AsyncEngine) -> AuditTrail:
        return SqlAuditTrail(sql_engine)


class TestSqliteAuditQueue(SqliteStore, SqlTrail, AuditQueueContract):
    pass


class TestPostgresAuditQueue(PostgresStore, SqlTrail, AuditQueueContract):
    pass


class ChainLockContract:
    """What the SQL trail adds: an empty queue is read without the chain's lock."""

    async def test_chaining_an_empty_queue_does_not_wait_for_the_chains_lock(
        self, sql_engine: AsyncEngine
    ) -> None:
        trail = SqlAuditTrail(sql_engine)
        await trail.append(record(1))  # creates the lock row
        async with sql_engine.connect() as holder:
            # Another chainer holds the lock row mid-batch (on SQLite: the write lock).
            await holder.execute(update(audit_chain_lock).values(id=audit_chain_lock.c.id))

            chained = await asyncio.wait_for(trail.chain_pending(200), timeout=3)

            await holder.rollback()
        assert chained == 0


class TestSqliteChainLock(SqliteStore, ChainLockContract):
    pass


class TestPostgresChainLock(PostgresStore, ChainLockContract):
    pass
