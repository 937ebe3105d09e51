"""The audit trail: an append-only, hash-chained table whose appends queue on one lock row.

An append (1) updates the single ``audit_chain_lock`` row, which makes every other append wait
until this one commits: a row lock on PostgreSQL, the database's write lock on SQLite (taken by
the first write of the transaction, so the snapshot read next is the latest); (2) reads the last
entry; (3) inserts the entry :func:`~kustodia_domain.audit.chain.link` makes of it. The schema
backs this up: sequences are a primary key, no two entries share a previous hash, sequence 1
and only it follows the genesis hash, and triggers refuse UPDATE and DELETE of entries.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.audit import entry_from_row, entry_values
from kustodia_adapters.sql.session import SqlTransaction
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import audit_chain_lock, audit_entries
from kustodia_domain.audit.chain import AuditEntry, AuditRecord, link
from kustodia_domain.ports.audit import AuditTrail

_a = audit_entries.c
_LOCK_ROW = 1


class SqlAuditTrail(AuditTrail):
    """Three statements per append; reads are a range scan of the primary key.

    Sequences count from 1 without gaps (appends are serialised and each takes the next), so
    the ``offset``-th entry is sequence ``offset + 1`` and the count is the last sequence.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def append(self, record: AuditRecord) -> AuditEntry:
        async with own_transaction(self._engine) as transaction:
            await _lock_chain(transaction)
            newest = select(audit_entries).order_by(_a.sequence.desc()).limit(1)
            last = (await transaction.execute(newest)).mappings().first()
            entry = link(None if last is None else entry_from_row(last), record)
            await transaction.execute(insert(audit_entries).values(entry_values(entry)))
        return entry

    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        query = (
            select(audit_entries)
            .where(_a.sequence > max(offset, 0))
            .order_by(_a.sequence)
            .limit(max(limit, 0))
        )
        async with own_transaction(self._engine) as transaction:
            rows = (await transaction.execute(query)).mappings().all()
        return [entry_from_row(row) for row in rows]

    async def count(self) -> int:
        async with own_transaction(self._engine) as transaction:
            last = (await transaction.execute(select(func.max(_a.sequence)))).scalar()
        return int(last or 0)


async def _lock_chain(transaction: SqlTransaction) -> None:
    """Hold the chain's lock row until the transaction ends, creating it the first time."""
    lock = update(audit_chain_lock).where(audit_chain_lock.c.id == _LOCK_ROW).values(id=_LOCK_ROW)
    if (await transaction.execute(lock)).rowcount:
        return
    # No row yet (a new or emptied database): whoever inserts it first holds it; any other
    # inserter waits for that commit, finds the row and queues on the UPDATE below.
    create = (
        transaction.dialect.upsert(audit_chain_lock)
        .values(id=_LOCK_ROW)
        .on_conflict_do_nothing(index_elements=[audit_chain_lock.c.id])
    )
    await transaction.execute(create)
    await transaction.execute(lock)
