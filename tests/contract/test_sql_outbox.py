"""The outbox on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_outbox import OutboxContract


class TestSqliteOutbox(SqliteStore, OutboxContract):
    pass


class TestPostgresOutbox(PostgresStore, OutboxContract):
    pass
