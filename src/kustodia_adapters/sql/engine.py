"""Engines for the supported databases, each prepared by its dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def open_engine(url: str | URL = DEFAULT_URL, **options: Any) -> AsyncIterator[AsyncEngine]:
    """:func:`create_engine` as a resource: the pool is disposed when the block ends."""
    engine = create_engine(url, **options)
    try:
        yield engine
    finally:
        await engine.dispose()
