"""Evidence blobs on SQLite and PostgreSQL: the contract of ``test_blob_store.py``."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.blobs import SqlBlobStore
from kustodia_domain.ports.blobs import BlobStore
from tests.contract.sql_stores import PostgresStore, SqliteStore
from tests.contract.test_blob_store import BlobStoreContract


class SqlBlobs:
    @pytest.fixture
    def blobs(self, sql_engine: AsyncEngine) -> BlobStore:
        return SqlBlobStore(sql_engine)


class TestSqliteBlobStore(SqliteStore, SqlBlobs, BlobStoreContract):
    pass


class TestPostgresBlobStore(PostgresStore, SqlBlobs, BlobStoreContract):
    pass
