"""The ledger on SQLite and PostgreSQL: the same contract as every other adapter."""

from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_ledger import LedgerContract


class TestSqliteLedger(SqliteStore, LedgerContract):
    pass


class TestPostgresLedger(PostgresStore, LedgerContract):
    pass
