"""Users on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_user_repository import UserRepositoryContract


class TestSqliteUserRepository(SqliteStore, UserRepositoryContract):
    pass


class TestPostgresUserRepository(PostgresStore, UserRepositoryContract):
    pass
