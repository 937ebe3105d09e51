"""Tickets, audit trail, credentials, idempotency keys and receipts on SQLite and PostgreSQL.

The contracts of ``test_platform_stores.py`` and ``test_platform_store_details.py``.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.audit import SqlAuditTrail
from kustodia_adapters.sql.platform.credentials import SqlCredentialStore
from kustodia_adapters.sql.platform.idempotency import SqlIdempotencyStore
from kustodia_adapters.sql.platform.webhooks import SqlWebhookReceipts
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.credentials import CredentialStore
from kustodia_domain.ports.idempotency import IdempotencyStore
from kustodia_domain.ports.webhooks import WebhookReceipts
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_platform_store_details import (
    AuditDetailsContract,
    CredentialDetailsContract,
    IdempotencyDetailsContract,
    ReceiptDetailsContract,
    TicketDetailsContract,
)
from tests.contract.test_platform_stores import (
    AuditTrailContract,
    CredentialStoreContract,
    IdempotencyStoreContract,
    TicketRepositoryContract,
    WebhookReceiptsContract,
)


class SqlAudit:
    @pytest.fixture
    def trail(self, sql_engine: AsyncEngine) -> AuditTrail:
        return SqlAuditTrail(sql_engine)


class SqlCredentials:
    @pytest.fixture
    def store(self, sql_engine: AsyncEngine) -> CredentialStore:
        return SqlCredentialStore(sql_engine)


class SqlIdempotency:
    @pytest.fixture
    def store(self, sql_engine: AsyncEngine) -> IdempotencyStore:
        return SqlIdempotencyStore(sql_engine)


class SqlReceipts:
    @pytest.fixture
    def receipts(self, sql_engine: AsyncEngine) -> WebhookReceipts:
        return SqlWebhookReceipts(sql_engine)


class TestSqliteTickets(SqliteStore, TicketRepositoryContract):
    pass


class TestPostgresTickets(PostgresStore, TicketRepositoryContract):
    pass


class TestSqliteAuditTrail(SqliteStore, SqlAudit, AuditTrailContract):
    pass


class TestPostgresAuditTrail(PostgresStore, SqlAudit, AuditTrailContract):
    pass


class TestSqliteCredentials(SqliteStore, SqlCredentials, CredentialStoreContract):
    pass


class TestPostgresCredentials(PostgresStore, SqlCredentials, CredentialStoreContract):
    pass


class TestSqliteIdempotency(SqliteStore, SqlIdempotency, IdempotencyStoreContract):
    pass


class TestPostgresIdempotency(PostgresStore, SqlIdempotency, IdempotencyStoreContract):
    pass


class TestSqliteWebhookReceipts(SqliteStore, SqlReceipts, WebhookReceiptsContract):
    pass


class TestPostgresWebhookReceipts(PostgresStore, SqlReceipts, WebhookReceiptsContract):
    pass


class TestSqliteTicketDetails(SqliteStore, TicketDetailsContract):
    pass


class TestPostgresTicketDetails(PostgresStore, TicketDetailsContract):
    pass


class TestSqliteAuditDetails(SqliteStore, SqlAudit, AuditDetailsContract):
    pass


class TestPostgresAuditDetails(PostgresStore, SqlAudit, AuditDetailsContract):
    pass


class TestSqliteCredentialDetails(SqliteStore, SqlCredentials, CredentialDetailsContract):
    pass


class TestPostgresCredentialDetails(PostgresStore, SqlCredentials, CredentialDetailsContract):
    pass


class TestSqliteIdempotencyDetails(SqliteStore, SqlIdempotency, IdempotencyDetailsContract):
    pass


class TestPostgresIdempotencyDetails(PostgresStore, SqlIdempotency, IdempotencyDetailsContract):
    pass


class TestSqliteReceiptDetails(SqliteStore, SqlReceipts, ReceiptDetailsContract):
    pass


class TestPostgresReceiptDetails(PostgresStore, SqlReceipts, ReceiptDetailsContract):
    pass
