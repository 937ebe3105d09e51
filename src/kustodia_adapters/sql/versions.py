"""Optimistic versions: insert at version 1, update only from the version that was read.

The statements are built once per table and set of columns, with every value bound at
execution: building an ``UPDATE`` of a few dozen columns per call costs more Python time than
its round trip to the database.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
from sqlalchemy import Insert, Select, Table, Update, bindparam, insert, literal, select, update

from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError

if TYPE_CHECKING:
    from kustodia_adapters.sql.session import SqlTransaction


@attrs.frozen(kw_only=True)
class VersionedUpdate:
    """``UPDATE <table> SET <columns> WHERE id = :row_id AND version = :read_at``, bound."""

    table: Table
    columns: tuple[str, ...]
    parameters: dict[str, Any]
    kind: str

    @classmethod
    def of(
        cls, table: Table, values: dict[str, Any], *, read_at: int, kind: str
    ) -> VersionedUpdate:
        """The update writing ``values`` (with ``id`` and the next version) over ``read_at``."""
        columns = tuple(name for name in values if name != "id")
        parameters = {f"new_{name}": values[name] for name in columns}
        parameters |= {"row_id": values["id"], "read_at": read_at}
        return cls(table=table, columns=columns, parameters=parameters, kind=kind)

    @property
    def statement(self) -> Update:
        return update_statement(self.table, self.columns)


@functools.cache
def _insert(table: Table) -> Insert:
    return insert(table)


@functools.cache
def update_statement(table: Table, columns: tuple[str, ...]) -> Update:
    """``UPDATE table SET <columns> WHERE id = :row_id AND version = :read_at RETURNING 1``."""
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("read_at"))
        .values({name: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
        .returning(literal(1).label("updated"))
    )


@functools.cache
def _version(table: Table) -> Select[int]:
    return select(table.c.version).where(table.c.id == bindparam("row_id"))


async def insert_first_version(
    transaction: SqlTransaction, table: Table, values: dict[str, Any]
) -> None:
    """Insert the row of a new aggregate (``values`` carries ``version`` 1).

    Raises:
        ConflictError: its id or another unique value is taken.
    """
    await transaction.execute(_insert(table), values)


async def update_from_version(
    transaction: SqlTransaction, table: Table, values: dict[str, Any], *, read_at: int, kind: str
) -> None:
    """``UPDATE ... WHERE id = :id AND version = :read_at``; ``values`` carries the next version.

    Raises:
        NotFoundError: no row has this id.
        ConcurrencyConflictError: the row moved past ``read_at``; nothing was written.
    """
    change = VersionedUpdate.of(table, values, read_at=read_at, kind=kind)
    if (await transaction.execute(change.statement, change.parameters)).first() is None:
        await refuse_update(transaction, change)


async def refuse_update(transaction: SqlTransaction, change: VersionedUpdate) -> NoReturn:
    """Raise what an update that matched no row means.

    Raises:
        NotFoundError: no row has this id.
        ConcurrencyConflictError: the row moved past the version that was read.
    """
    row_id, read_at = change.parameters["row_id"], change.parameters["read_at"]
    stored = (await transaction.execute(_version(change.table), {"row_id": row_id})).scalar()
    if stored is None:
        raise NotFoundError(change.kind, row_id)
    raise ConcurrencyConflictError(f"{change.kind} {row_id} is at version {stored}, not {read_at}")
