"""Everything that differs between PostgreSQL and SQLite, named, in one place.

* **Upserts.** ``INSERT ... ON CONFLICT`` is spelled the same on both but built from each
  dialect's own ``insert`` construct.
* **Row locks.** ``lock_for_update`` locks rows read (``SELECT ... FOR UPDATE``) on PostgreSQL;
  SQLite has one writer at a time and needs none.
* **Lost races.** PostgreSQL reports serialization failures, deadlocks and lock time-outs by
  SQLSTATE, and a ledger balance another unit drew down between this unit's unlocked check and
  its write as the never-negative CHECK refusing the write; SQLite reports ``SQLITE_BUSY``: a
  unit whose snapshot went stale before its first write (WAL mode), or that waited too long
  for the write lock.
* **Unique violations** name their table differently (asyncpg's ``table_name``, SQLite's message).
* **Connections.** SQLite needs foreign keys switched on, WAL, a busy time-out and a ``BEGIN``
  of our own (the stdlib driver would otherwise start transactions only at the first write,
  which breaks repeatable reads inside a unit of work).
* **Write-behind** (:mod:`kustodia_adapters.sql.write_behind`). PostgreSQL sends a unit's
  queued rows, and an escrow's optimistic ``UPDATE``, as data-modifying CTEs of one statement;
  SQLite has no data-modifying CTEs, and in process a statement costs no round trip.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from sqlalchemy import Select, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

SQLITE_BUSY_TIMEOUT_MS = 5_000
"""How long a SQLite writer waits for the write lock before giving up as a lost race."""

_PG_LOST_RACE = frozenset({"40001", "40P01", "55P03"})
"""serialization_failure, deadlock_detected, lock_not_available."""
_PG_CHECK_VIOLATION = "23514"
_OVERDRAWN = "ck_ledger_balances_never_negative"
"""A balance the unit checked without a lock, drawn down by a concurrent unit meanwhile."""
_PG_UNIQUE_VIOLATION = "23505"
_PG_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})
"""character_not_in_repertoire (U+0000 in text), untranslatable_character (U+0000 in JSON)."""
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})

Upsert = postgresql.Insert | sqlite.Insert
"""An ``INSERT`` that knows ``on_conflict_do_nothing`` and ``on_conflict_do_update``."""


class SqlDialect(ABC):
    """The operations whose SQL or error reporting differ between the supported databases."""

    name: ClassVar[str]
    writes_in_one_statement: ClassVar[bool]
    """Whether queued writes go out as data-modifying CTEs of one statement."""

    @abstractmethod
    def upsert(self, table: Table) -> Upsert:
        """An ``INSERT`` into ``table`` that can be given an ``ON CONFLICT`` clause."""

    @abstractmethod
    def lock_for_update(self, query: Select[Any]) -> Select[Any]:
        """``query`` locking the rows it reads until the transaction ends, where that is needed."""

    @abstractmethod
    def is_lost_race(self, error: Exception) -> bool:
        """Whether ``error`` means a concurrent transaction won; retrying may succeed."""

    @abstractmethod
    def unique_violation_table(self, error: Exception) -> str | None:
        """The table whose unique constraint ``error`` violated ("" if unnamed), else ``None``."""

    @abstractmethod
    def is_unstorable_text(self, error: Exception) -> bool:
        """Whether ``error`` refused text the database cannot store (U+0000); nothing written."""

    @abstractmethod
    def configure(self, engine: AsyncEngine) -> None:
        """Prepare every connection ``engine`` opens."""


class PostgresDialect(SqlDialect):
    """PostgreSQL through asyncpg, at READ COMMITTED with explicit row locks."""

    name = "postgresql"
    writes_in_one_statement = True

    def upsert(self, table: Table) -> Upsert:
        return postgresql.insert(table)

    def lock_for_update(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update()

    def is_lost_race(self, error: Exception) -> bool:
        state, cause = _asyncpg_error(error)
        if state == _PG_CHECK_VIOLATION:
            return getattr(cause, "constraint_name", None) == _OVERDRAWN
        return state in _PG_LOST_RACE

    def unique_violation_table(self, error: Exception) -> str | None:
        state, cause = _asyncpg_error(error)
        if state != _PG_UNIQUE_VIOLATION:
            return None
        table = getattr(cause, "table_name", None)
        return table if isinstance(table, str) else ""

    def is_unstorable_text(self, error: Exception) -> bool:
        state, _ = _asyncpg_error(error)
        return state in _PG_UNSTORABLE_TEXT

    def configure(self, engine: AsyncEngine) -> None:
        # asyncpg connections need nothing: READ COMMITTED and real BEGINs are the defaults.
        pass


class SqliteDialect(SqlDialect):
    """SQLite through aiosqlite: WAL, one writer at a time, snapshot reads per unit."""

    name = "sqlite"
    writes_in_one_statement = False

    def upsert(self, table: Table) -> Upsert:
        return sqlite.insert(table)

    def lock_for_update(self, query: Select[Any]) -> Select[Any]:
        # The first write takes the database's single write lock; a unit whose snapshot is
        # stale by then fails with SQLITE_BUSY instead of writing over a newer commit.
        return query

    def is_lost_race(self, error: Exception) -> bool:
        if not isinstance(error, DBAPIError):
            return False
        name = getattr(error.orig, "sqlite_errorname", "")
        return isinstance(name, str) and name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))

    def unique_violation_table(self, error: Exception) -> str | None:
        if not isinstance(error, IntegrityError):
            return None
        if getattr(error.orig, "sqlite_errorname", "") not in _SQLITE_UNIQUE:
            return None
        # "UNIQUE constraint failed: escrows.reference" names table.column.
        _, _, columns = str(error.orig).partition(": ")
        return columns.split(".", 1)[0]

    def is_unstorable_text(self, error: Exception) -> bool:
        return False  # SQLite stores U+0000 in text and JSON as any other character

    def configure(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "connect", _prepare_sqlite_connection)
        event.listen(engine.sync_engine, "begin", _begin_sqlite_transaction)


def _asyncpg_error(error: Exception) -> tuple[str | None, object]:
    """The SQLSTATE of ``error`` and asyncpg's own exception (which names the constraint).

    ``error`` is asyncpg's exception itself (a statement sent without SQLAlchemy) or
    SQLAlchemy's ``DBAPIError``, whose adapter keeps asyncpg's exception as its cause.
    """
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        cause = error.orig.__cause__ if error.orig else None
    else:
        state, cause = getattr(error, "sqlstate", None), error
    return (state if isinstance(state, str) else None), cause


def _prepare_sqlite_connection(dbapi_connection: Any, _record: object) -> None:
    # Take transaction control away from the stdlib driver: SQLAlchemy's "begin" event below
    # emits BEGIN, so reads inside a unit of work share one snapshot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (
            "PRAGMA foreign_keys = ON",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
            # INSERT OR REPLACE deletes the row it replaces, and only fires delete triggers
            # with this on: without it, a REPLACE would rewrite append-only rows (ledger,
            # audit trail, fraud history) past the triggers that refuse UPDATE and DELETE.
            "PRAGMA recursive_triggers = ON",
        ):
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


DIALECTS: dict[str, SqlDialect] = {d.name: d for d in (PostgresDialect(), SqliteDialect())}
"""The supported databases by SQLAlchemy dialect name."""


def dialect_named(name: str) -> SqlDialect:
    """The dialect for SQLAlchemy's dialect ``name``.

    Raises:
        ValueError: the database is not one Kustodia supports.
    """
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unsupported database {name!r}: use postgresql or sqlite") from None
