"""What the SQL adapters send: statements as SQLAlchemy's listeners see them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The first word of every statement sent in the block, through SQLAlchemy or directly.

    Statements sent straight through asyncpg (``kustodia_adapters.sql.direct``) announce
    themselves to the same listeners. SQLite's ``BEGIN`` is left out: it is the adapter's own
    (see ``dialects.py``), where on PostgreSQL the driver sends it without a listener seeing it.
    """
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement != "BEGIN":
            seen.append(statement.split(None, 1)[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def on_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
