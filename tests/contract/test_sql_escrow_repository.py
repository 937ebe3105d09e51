"""Escrows on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_escrow_repository import EscrowRepositoryContract


class TestSqliteEscrowRepository(SqliteStore, EscrowRepositoryContract):
    pass


class TestPostgresEscrowRepository(PostgresStore, EscrowRepositoryContract):
    pass
