"""The event log on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_event_log import EventLogContract


class TestSqliteEventLog(SqliteStore, EventLogContract):
    pass


class TestPostgresEventLog(PostgresStore, EventLogContract):
    pass
