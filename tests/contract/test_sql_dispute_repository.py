"""Disputes on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_dispute_repository import DisputeRepositoryContract


class TestSqliteDisputeRepository(SqliteStore, DisputeRepositoryContract):
    pass


class TestPostgresDisputeRepository(PostgresStore, DisputeRepositoryContract):
    pass
