"""The fraud engine's stores on SQLite and PostgreSQL: the same contracts as in memory."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.fraud.alerts import SqlAlertRepository
from kustodia_adapters.sql.fraud.history import SqlRiskHistory
from kustodia_adapters.sql.fraud.lists import SqlRiskLists
from kustodia_adapters.sql.fraud.overrides import SqlOverrideRepository
from kustodia_adapters.sql.fraud.profiles import SqlPartyProfiles
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.ports.risk_history import AlertRepository, OverrideRepository, RiskHistory
from kustodia_domain.ports.risk_lists import RiskLists
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_fraud_stores import (
    AlertRepositoryContract,
    OverrideRepositoryContract,
    PartyProfilesContract,
    RiskHistoryContract,
    RiskListsContract,
)


class SqlHistory:
    @pytest.fixture
    def history(self, sql_engine: AsyncEngine) -> RiskHistory:
        return SqlRiskHistory(sql_engine)


class SqlProfiles:
    @pytest.fixture
    def profiles(self, sql_engine: AsyncEngine) -> PartyProfiles:
        return SqlPartyProfiles(sql_engine)


class SqlLists:
    @pytest.fixture
    def lists(self, sql_engine: AsyncEngine) -> RiskLists:
        return SqlRiskLists(sql_engine)


class SqlAlerts:
    @pytest.fixture
    def alerts(self, sql_engine: AsyncEngine) -> AlertRepository:
        return SqlAlertRepository(sql_engine)


class SqlOverrides:
    @pytest.fixture
    def overrides(self, sql_engine: AsyncEngine) -> OverrideRepository:
        return SqlOverrideRepository(sql_engine)


class TestSqliteRiskHistory(SqliteStore, SqlHistory, RiskHistoryContract):
    pass


class TestPostgresRiskHistory(PostgresStore, SqlHistory, RiskHistoryContract):
    pass


class TestSqlitePartyProfiles(SqliteStore, SqlProfiles, PartyProfilesContract):
    pass


class TestPostgresPartyProfiles(PostgresStore, SqlProfiles, PartyProfilesContract):
    pass


class TestSqliteRiskLists(SqliteStore, SqlLists, RiskListsContract):
    pass


class TestPostgresRiskLists(PostgresStore, SqlLists, RiskListsContract):
    pass


class TestSqliteAlertRepository(SqliteStore, SqlAlerts, AlertRepositoryContract):
    pass


class TestPostgresAlertRepository(PostgresStore, SqlAlerts, AlertRepositoryContract):
    pass


class TestSqliteOverrideRepository(SqliteStore, SqlOverrides, OverrideRepositoryContract):
    pass


class TestPostgresOverrideRepository(PostgresStore, SqlOverrides, OverrideRepositoryContract):
    pass
