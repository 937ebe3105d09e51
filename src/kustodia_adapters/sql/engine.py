"""Engines for the supported databases, each prepared by its dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import PurePath
from typing import Any

import orjson
from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kustodia_adapters.sql.dialects import dialect_named

DEFAULT_URL = "sqlite+aiosqlite:///kustodia.db"
"""The embedded default: a SQLite file in the working directory."""

_DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str | URL = DEFAULT_URL, **options: Any) -> AsyncEngine:
    """An engine for ``postgresql+asyncpg://...`` or ``sqlite+aiosqlite:///<file>``.

    ``options`` go to :func:`sqlalchemy.ext.asyncio.create_async_engine` (pool size, echo...).

    Raises:
        ValueError: another database or driver, or an in-memory SQLite database (every unit of
            work needs its own connection to the same database, which ``:memory:`` is not).
    """
    parsed = make_url(url)
    dialect = dialect_named(parsed.get_backend_name())
    if parsed.get_driver_name() != _DRIVERS[dialect.name]:
        raise ValueError(f"use {dialect.name}+{_DRIVERS[dialect.name]}://, not {parsed.drivername}")
    if dialect.name == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError("SQLite needs a database file: units of work use separate connections")
    engine = create_async_engine(
        parsed, json_serializer=_json, json_deserializer=orjson.loads, **options
    )
    dialect.configure(engine)
    return engine


def risk_database_url(url: str | URL) -> URL | None:
    """The database the fraud engine's history, alerts and lists live in, when not ``url``'s.

    On SQLite the rule engine writes them, each in a transaction of its own, while a use case's
    unit of work is open on the main file; SQLite has one writer per file, and a transaction
    that has read cannot write once another connection has committed. So they live in a second
    file beside the first, named after it: ``kustodia.db`` -> ``kustodia.risk.db``. It is
    migrated with the same revisions (``kustodia db upgrade`` does both). ``None`` on
    PostgreSQL, where every store shares the one database.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = PurePath(parsed.database)
    return parsed.set(database=str(path.with_name(f"{path.stem}.risk{path.suffix}")))


def create_risk_engine(url: str | URL, **options: Any) -> AsyncEngine | None:
    """An engine on :func:`risk_database_url`'s database, or ``None`` where there is none."""
    risk_url = risk_database_url(url)
    return None if risk_url is None else create_engine(risk_url, **options)


@asynccontextmanager
async def open_engine(url: str | URL = DEFAULT_URL, **options: Any) -> AsyncIterator[AsyncEngine]:
    """:func:`create_engine` as a resource: the pool is disposed when the block ends."""
    engine = create_engine(url, **options)
    try:
        yield engine
    finally:
        await engine.dispose()
