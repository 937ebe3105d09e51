"""The unit of work on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_unit_of_work import UnitOfWorkContract


class TestSqliteUnitOfWork(SqliteStore, UnitOfWorkContract):
    pass


class TestPostgresUnitOfWork(PostgresStore, UnitOfWorkContract):
    pass
