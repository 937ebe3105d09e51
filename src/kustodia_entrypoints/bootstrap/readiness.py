"""Readiness probes: the databases answer and their schemas are at the latest migration."""

from __future__ import annotations

from collections.abc import Collection

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_entrypoints.bootstrap.migrations import alembic_config
from kustodia_entrypoints.http.services import Readiness


class AlwaysReady:
    """The in-memory mode has no database to wait for."""

    async def check(self) -> Readiness:
        return Readiness(ready=True, checks={"database": "in-memory"})


def head_revisions(url: str) -> frozenset[str]:
    """The latest revisions of the project's Alembic migrations."""
    return frozenset(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


async def _database_checks(engine: AsyncEngine, heads: frozenset[str]) -> tuple[str, str | None]:
    """("ok" or why not, the schema's problem or ``None``) for the database of ``engine``."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            current = frozenset(await connection.run_sync(_current_heads))
    except Exception as error:  # the probe answers; it never raises
        return f"unreachable ({type(error).__name__})", None
    if current != heads:
        found = ", ".join(sorted(current)) or "none"
        expected = ", ".join(sorted(heads))
        return "ok", f"revision {found}, expected {expected} (run `kustodia db upgrade`)"
    return "ok", None


class DatabaseReadiness:
    """Ready when ``SELECT 1`` answers and the schema's revision is the migrations' head.

    ``risk_engine``, where the fraud engine's stores have a database of their own (SQLite's
    second file), is checked the same way, under the ``risk_database`` and ``risk_schema``
    keys.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        heads: Collection[str],
        *,
        risk_engine: AsyncEngine | None = None,
    ) -> None:
        self._engines = {"": engine} if risk_engine is None else {"": engine, "risk_": risk_engine}
        self._heads = frozenset(heads)

    async def check(self) -> Readiness:
        checks: dict[str, str] = {}
        ready = True
        for prefix, engine in self._engines.items():
            database, schema = await _database_checks(engine, self._heads)
            checks[f"{prefix}database"] = database
            if database == "ok":
                checks[f"{prefix}schema"] = schema or "at head"
            ready = ready and database == "ok" and schema is None
        return Readiness(ready=ready, checks=checks)
