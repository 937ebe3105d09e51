"""Unmatched deposits on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_unmatched_deposits import UnmatchedDepositRepositoryContract


class TestSqliteUnmatchedDepositRepository(SqliteStore, UnmatchedDepositRepositoryContract):
    pass


class TestPostgresUnmatchedDepositRepository(PostgresStore, UnmatchedDepositRepositoryContract):
    pass
