"""Insert-or-replace of whole rows, for stores whose port says "insert or replace"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table

from kustodia_adapters.sql.session import SqlTransaction


async def insert_or_replace(
    transaction: SqlTransaction, table: Table, values: Mapping[str, Any], *, key: Sequence[str]
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` setting every other column of ``values``.

    One statement, atomic on both databases: two concurrent writers of one key both succeed
    and the one that commits last wins, as with any replace.
    """
    upsert = transaction.dialect.upsert(table).values(dict(values))
    replace = {name: upsert.excluded[name] for name in values if name not in key}
    await transaction.execute(
        upsert.on_conflict_do_update(index_elements=[table.c[name] for name in key], set_=replace)
    )
