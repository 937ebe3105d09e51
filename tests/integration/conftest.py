"""Fresh databases for the integration tests: a SQLite file or a PostgreSQL database each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.engine import create_engine
from tests.integration.databases import (
    migrate,
    require_postgres,
    scratch_postgres_database,
    sqlite_url,
)

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
]


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables, on each supported database in turn."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "kustodia.db")
        return
    require_postgres()
    with scratch_postgres_database("integration") as url:
        yield url


@pytest.fixture
async def sql_engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine over ``empty_database_url`` migrated to head."""
    # Alembic runs its own event loop, so it migrates in a worker thread of this one.
    await asyncio.to_thread(migrate, empty_database_url)
    engine = create_engine(empty_database_url)
    yield engine
    await engine.dispose()
