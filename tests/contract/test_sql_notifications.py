"""Stored notifications on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_notifications import NotificationRepositoryContract


class TestSqliteNotificationRepository(SqliteStore, NotificationRepositoryContract):
    pass


class TestPostgresNotificationRepository(PostgresStore, NotificationRepositoryContract):
    pass
