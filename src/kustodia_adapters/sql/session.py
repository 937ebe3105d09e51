"""The open transaction of a unit of work, as the repositories see it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import CursorResult, Executable
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from kustodia_adapters.sql.dialects import SqlDialect, dialect_named
from kustodia_adapters.sql.errors import storage_error
from kustodia_adapters.sql.footprints import EscrowFootprint
from kustodia_adapters.sql.write_behind import PendingWrites

Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


@attrs.define
class SqlTransaction:
    """One connection inside ``BEGIN``, the database's dialect, and what the unit has read.

    ``escrow_footprints`` remembers, per escrow id, the version and write-once child rows as
    last read or written in this unit, so a save inserts only the children that are new.
    ``parties_read`` holds the ``users`` rows of the parties of escrows read in this unit,
    read in the same statement as the escrow, for ``users.get``. ``pending`` holds the rows
    the repositories queued for write-behind
    (:mod:`kustodia_adapters.sql.write_behind`): whoever commits flushes them first. ``failed``
    is set when a statement failed in the database: PostgreSQL then refuses every further
    statement of the transaction, and SQLite is held to the same rule.
    """

    connection: AsyncConnection
    dialect: SqlDialect = attrs.field(init=False)
    escrow_footprints: dict[str, EscrowFootprint] = attrs.field(init=False, factory=dict)
    parties_read: dict[str, dict[str, Any]] = attrs.field(init=False, factory=dict)
    pending: PendingWrites = attrs.field(init=False, factory=PendingWrites)
    failed: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        self.dialect = dialect_named(self.connection.dialect.name)

    async def execute(
        self, statement: Executable, parameters: Parameters = None
    ) -> CursorResult[Any]:
        """Run ``statement``; database refusals come out as the ports' errors.

        Raises:
            ConflictError: a unique constraint refused the write.
            ConcurrencyConflictError: a concurrent transaction won a race for the same rows.
        """
        try:
            return await self.connection.execute(statement, parameters)
        except DBAPIError as error:
            self.failed = True
            translated = storage_error(error, self.dialect)
            if translated is None:
                raise
            raise translated from error


CurrentTransaction = Callable[[], SqlTransaction]
"""Returns the open transaction, or raises ``RuntimeError`` outside ``async with uow``."""
