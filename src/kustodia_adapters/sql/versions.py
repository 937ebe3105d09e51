"""Optimistic versions: insert at version 1, update only from the version that was read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select, update

from kustodia_adapters.sql.session import SqlTransaction
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError


async def insert_first_version(
    transaction: SqlTransaction, table: Table, values: dict[str, Any]
) -> None:
    """Insert the row of a new aggregate (``values`` carries ``version`` 1).

    Raises:
        ConflictError: its id or another unique value is taken.
    """
    await transaction.execute(insert(table).values(values))


async def update_from_version(
    transaction: SqlTransaction, table: Table, values: dict[str, Any], *, read_at: int, kind: str
) -> None:
    """``UPDATE ... WHERE id = :id AND version = :read_at``; ``values`` carries the next version.

    Raises:
        NotFoundError: no row has this id.
        ConcurrencyConflictError: the row moved past ``read_at``; nothing was written.
    """
    row_id = values["id"]
    statement = (
        update(table)
        .where(table.c.id == row_id, table.c.version == read_at)
        .values({k: v for k, v in values.items() if k != "id"})
    )
    if (await transaction.execute(statement)).rowcount == 1:
        return
    stored = (
        await transaction.execute(select(table.c.version).where(table.c.id == row_id))
    ).scalar()
    if stored is None:
        raise NotFoundError(kind, row_id)
    raise ConcurrencyConflictError(f"{kind} {row_id} is at version {stored}, not {read_at}")
