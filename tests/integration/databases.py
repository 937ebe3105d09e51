"""Scratch databases for the SQL adapter tests, and the migrations that build them.

PostgreSQL is found at ``KUSTODIA_TEST_POSTGRES_URL`` (default: the ``test`` database on
127.0.0.1:5432 as ``postgres``), used only to create and drop databases named
``kustodia_test_<random>_<label>``; every test run works in databases of its own. Without a
reachable server PostgreSQL tests are skipped, unless ``CI`` is set: then they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kustodia_adapters.sql.engine import risk_database_url
from kustodia_adapters.sql.tables import metadata
from kustodia_entrypoints.bootstrap import migrations

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get(
    "KUSTODIA_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def sqlite_risk_file(path: Path) -> Path:
    """The file beside the SQLite database ``path`` that the fraud engine's stores live in."""
    risk_url = risk_database_url(sqlite_url(path))
    assert risk_url is not None
    assert risk_url.database is not None
    return Path(risk_url.database)


def alembic_config(url: str) -> Config:
    """The project's Alembic configuration, pointed at ``url``."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def migrate(url: str, revision: str = "head") -> None:
    """``kustodia db upgrade <revision>`` on ``url``: on SQLite, the risk file beside it too.

    Alembic runs an event loop: call it from sync code.
    """
    migrations.upgrade(url, revision)


async def _run_as_admin(*statements: str) -> None:
    engine = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def require_postgres() -> None:
    """Skip the calling test without a reachable PostgreSQL, or fail it when ``CI`` is set."""
    try:
        asyncio.run(asyncio.wait_for(_run_as_admin("SELECT 1"), timeout=5))
    except (OSError, TimeoutError, Exception) as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error!r}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def scratch_postgres_database(label: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the block; dropped afterwards."""
    name = f"kustodia_test_{secrets.token_hex(4)}_{label}"
    asyncio.run(_run_as_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_run_as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_EMPTY_EVERY_TABLE = ";".join(
    [
        "BEGIN",
        # Replica mode skips triggers, among them the ones keeping ledger rows append-only,
        # and the foreign-key checks: tests may empty a migrated database (needs a superuser).
        "SET LOCAL session_replication_role = replica",
        # Table names come from our own MetaData, not from input.
        *(f"DELETE FROM {table.name}" for table in reversed(metadata.sorted_tables)),  # noqa: S608
        "COMMIT",
    ]
)


async def empty_postgres(engine: AsyncEngine) -> None:
    """Delete every row of every table, so each test starts from an empty store."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        # One round trip: asyncpg runs a multi-statement string through the simple protocol.
        await raw.driver_connection.execute(_EMPTY_EVERY_TABLE)  # type: ignore[union-attr]
