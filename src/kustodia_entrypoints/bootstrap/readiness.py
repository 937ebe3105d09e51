"""Readiness probes: the database answers and its schema is at the latest migration."""

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


class DatabaseReadiness:
    """Ready when ``SELECT 1`` answers and the schema's revision is the migrations' head."""

    def __init__(self, engine: AsyncEngine, heads: Collection[str]) -> None:
        self._engine = engine
        self._heads = frozenset(heads)

    async def check(self) -> Readiness:
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
                current = frozenset(await connection.run_sync(_current_heads))
        except Exception as error:  # the probe answers; it never raises
            return Readiness(
                ready=False, checks={"database": f"unreachable ({type(error).__name__})"}
            )
        if current != self._heads:
            found = ", ".join(sorted(current)) or "none"
            return Readiness(
                ready=False,
                checks={
                    "database": "ok",
                    "schema": f"revision {found}, expected {', '.join(sorted(self._heads))}"
                    " (run `kustodia db upgrade`)",
                },
            )
        return Readiness(ready=True, checks={"database": "ok", "schema": "at head"})
