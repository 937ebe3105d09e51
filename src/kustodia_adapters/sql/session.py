"""The open transaction of a unit of work, as the repositories see it.

On PostgreSQL a unit of work starts outside any transaction: at READ COMMITTED every
statement sees what was committed when it started, inside a transaction or not, so its reads
run on their own and ``BEGIN`` is not a round trip of its own. A unit whose writes all wait
for the commit sends them as one statement (:mod:`kustodia_adapters.sql.write_behind`), atomic
on its own, and needs no ``BEGIN`` nor ``COMMIT`` at all (unless an idempotency claim fences
it: see :class:`~kustodia_adapters.sql.unit_of_work.SqlUnitOfWork`). The first statement that writes
before the commit, or that locks rows, opens the transaction the rest of the unit runs in.

Outside that transaction, the hot statements of the adapters (:class:`DirectStatement`) go
straight through asyncpg, and SQLAlchemy's connection is only switched to autocommit when a
statement is executed through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
import attrs
from sqlalchemy import CompoundSelect, CursorResult, Executable, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from kustodia_adapters.sql.dialects import SqlDialect, dialect_named
from kustodia_adapters.sql.direct import DirectStatement
from kustodia_adapters.sql.errors import storage_error
from kustodia_adapters.sql.footprints import EscrowFootprint
from kustodia_adapters.sql.write_behind import PendingWrites
from kustodia_domain.shared.errors import KustodiaError

Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


@attrs.frozen(kw_only=True)
class LedgerRead:
    """What the escrow's read saw of its ledger: enough for ``ledger.post`` not to read again.

    ``totals`` are the signed totals of the accounts in ``accounts`` that have a row (an
    account without one holds zero); ``keys`` every ledger transaction key stored for the
    escrow. Valid until the unit's next flush: what it writes then is in neither.
    """

    accounts: frozenset[str]
    totals: Mapping[str, int]
    keys: frozenset[str]


@attrs.define
class SqlTransaction:
    """One connection inside ``BEGIN``, the database's dialect, and what the unit has read.

    ``escrow_footprints`` remembers, per escrow id, the version and write-once child rows as
    last read or written in this unit, so a save inserts only the children that are new.
    ``parties_read`` holds the ``users`` rows of the parties of escrows read in this unit,
    read in the same statement as the escrow, for ``users.get``; ``ledger_read`` (PostgreSQL)
    what that statement read of each escrow's ledger, for ``ledger.post``, until the next
    flush. ``pending`` holds the rows
    the repositories queued for write-behind
    (:mod:`kustodia_adapters.sql.write_behind`): whoever commits flushes them first. ``failed``
    is set when a statement failed in the database: PostgreSQL then refuses every further
    statement of the transaction, and SQLite is held to the same rule.

    With ``deferred_begin`` (a PostgreSQL unit of work; see the module docstring) the
    connection is in autocommit until :meth:`begin`, which :meth:`execute` calls before a
    statement that writes or locks; ``in_transaction`` tells whether it did.
    """

    connection: AsyncConnection
    deferred_begin: bool = attrs.field(default=False, kw_only=True)
    in_transaction: bool = attrs.field(init=False, default=False)
    dialect: SqlDialect = attrs.field(init=False)
    escrow_footprints: dict[str, EscrowFootprint] = attrs.field(init=False, factory=dict)
    parties_read: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    ledger_read: dict[str, LedgerRead] = attrs.field(init=False, factory=dict)
    pending: PendingWrites = attrs.field(init=False, factory=PendingWrites)
    failed: bool = attrs.field(init=False, default=False)
    wrote: bool = attrs.field(init=False, default=False)
    """Whether the unit sent a statement that writes or locks (queued rows are ``pending``)."""
    _autocommit: bool = attrs.field(init=False, default=False)
    """Whether SQLAlchemy's connection is switched to autocommit (done at its first use)."""
    _driver: Any = attrs.field(init=False, default=None)
    """asyncpg's connection under ``connection``, once a direct statement needed it."""

    def __attrs_post_init__(self) -> None:
        self.dialect = dialect_named(self.connection.dialect.name)

    async def autocommit(self) -> None:
        """Run the next statements on their own, until :meth:`begin` (``deferred_begin`` only)."""
        if self.deferred_begin:
            self.in_transaction = False

    async def begin(self) -> None:
        """Open the transaction the rest of the unit runs in (its next statement sends BEGIN)."""
        if not self.deferred_begin or self.in_transaction:
            return
        if self._autocommit:
            # Close SQLAlchemy's own bookkeeping of the autocommit statements (nothing is
            # sent), then go back to the engine's isolation level: the next statement begins.
            await self.connection.commit()
            _ = await self.connection.execution_options(
                isolation_level=self.connection.default_isolation_level
            )
            self._autocommit = False
        self.in_transaction = True

    async def execute(
        self, statement: Executable, parameters: Parameters = None
    ) -> CursorResult[Any]:
        """Run ``statement``; database refusals come out as the ports' errors.

        A statement that writes or locks rows opens the unit's transaction first (see
        ``deferred_begin``); one that only reads runs on its own until then.

        Raises:
            ConflictError: a unique constraint refused the write.
            ConcurrencyConflictError: a concurrent transaction won a race for the same rows.
        """
        if _writes_or_locks(statement):
            self.wrote = True
            if self.deferred_begin and not self.in_transaction:
                await self.begin()
        return await self.send(statement, parameters)

    async def send(self, statement: Executable, parameters: Parameters = None) -> CursorResult[Any]:
        """Like :meth:`execute`, in whatever mode the connection is (for write-behind)."""
        if self.deferred_begin and not self.in_transaction and not self._autocommit:
            _ = await self.connection.execution_options(isolation_level="AUTOCOMMIT")
            self._autocommit = True
        try:
            return await self.connection.execute(statement, parameters)
        except DBAPIError as error:
            translated = self._refused(error)
            if translated is None:
                raise
            raise translated from error

    async def fetch(
        self, statement: DirectStatement, parameters: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The rows of a hot statement, as :meth:`send` would return their mappings.

        On PostgreSQL outside the unit's transaction the statement goes straight through
        asyncpg (see :mod:`kustodia_adapters.sql.direct`); otherwise through SQLAlchemy.

        Raises:
            ConflictError, ConcurrencyConflictError: as :meth:`execute`.
        """
        if not self.deferred_begin or self.in_transaction:
            result = await self.send(statement.statement, parameters)
            return [dict(row) for row in result.mappings()]
        driver = self._driver
        if driver is None:
            driver = self._driver = await self._driver_connection()
        arguments = statement.arguments(parameters)
        self._announce(statement.sql, arguments)
        try:
            records = await driver.fetch(statement.sql, *arguments)
        except asyncpg.PostgresError as error:
            translated = self._refused(error)
            if translated is None:
                raise
            raise translated from error
        return statement.rows(records)

    async def _driver_connection(self) -> Any:
        """The asyncpg connection under ours (no greenlet switch while the pool's is valid)."""
        sync = self.connection.sync_connection
        if sync is not None and not sync.closed and not sync.invalidated:
            return sync.connection.driver_connection
        return (await self.connection.get_raw_connection()).driver_connection

    def _announce(self, sql: str, arguments: list[Any]) -> None:
        """Tell SQLAlchemy's ``before_cursor_execute`` listeners of a statement sent directly.

        Whatever watches statements through SQLAlchemy's events (statement counts, logging)
        sees the direct ones too; there is no cursor nor execution context to give them.
        """
        connection = self.connection.sync_connection
        if connection is None:
            return
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, None, sql, arguments, None, False)  # noqa: FBT003 - executemany

    def _refused(self, error: Exception) -> KustodiaError | None:
        """The port error a database refusal stands for, or ``None``; the unit has failed."""
        self.failed = True
        return storage_error(error, self.dialect)


def _writes_or_locks(statement: Executable) -> bool:
    """Anything but a plain ``SELECT`` (a write, a locking read, raw SQL) needs a transaction."""
    if isinstance(statement, Select):
        return statement._for_update_arg is not None  # noqa: SLF001 - no public accessor
    return not isinstance(statement, CompoundSelect)


CurrentTransaction = Callable[[], SqlTransaction]
"""Returns the open transaction, or raises ``RuntimeError`` outside ``async with uow``."""
