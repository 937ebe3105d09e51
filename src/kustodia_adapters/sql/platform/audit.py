"""The audit trail: an append-only, hash-chained table whose appends queue on one lock row.

An append (1) updates the single ``audit_chain_lock`` row, which makes every other append wait
until this one commits: a row lock on PostgreSQL, the database's write lock on SQLite (taken by
the first write of the transaction, so the snapshot read next is the latest); (2) reads the last
entry; (3) inserts the entry :func:`~kustodia_domain.audit.chain.link` makes of it. The schema
backs this up: sequences are a primary key, no two entries share a previous hash, sequence 1
and only it follows the genesis hash, and triggers refuse UPDATE and DELETE of entries.

Records that units of work queued in ``audit_pending`` are chained the same way, a batch per
transaction: lock, read the oldest pending rows and the last entry, insert the entries, delete
the pending rows taken. The lock row orders chainers too, so no record is chained twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.audit import entry_from_row, entry_values, record_from_row
from kustodia_adapters.sql.session import SqlTransaction
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import audit_chain_lock, audit_entries, audit_pending
from kustodia_domain.audit.chain import AuditEntry, AuditRecord, link
from kustodia_domain.ports.audit import AuditTrail

_a = audit_entries.c
_p = audit_pending.c
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
            entry = link(await _last(transaction), record)
            await transaction.execute(insert(audit_entries).values(entry_values(entry)))
        return entry

    async def chain_pending(self, limit: int) -> int:
        """Six statements per batch, in two transactions; one, and no lock, if nothing waits.

        Worker passes mostly find the queue empty, and so do commands whose records a
        concurrent caller already chained: they read it without queueing on the chain's lock
        row. A record committed after that read is chained by the call its own command makes
        after its commit, or by the next pass.
        """
        # A read of its own: a SQLite transaction that read before it wrote fails when another
        # writer committed in between, and the queue is written by every command.
        async with own_transaction(self._engine) as transaction:
            if (await transaction.execute(_ANY_PENDING)).first() is None:
                return 0
        async with own_transaction(self._engine) as transaction:
            await _lock_chain(transaction)
            oldest = select(audit_pending).order_by(_p.id).limit(max(limit, 0))
            rows = (await transaction.execute(oldest)).mappings().all()
            if not rows:
                return 0
            previous, values = await _last(transaction), []
            for row in rows:
                previous = link(previous, record_from_row(row))
                values.append(entry_values(previous))
            await transaction.execute(insert(audit_entries), values)
            taken = [row["id"] for row in rows]
            await transaction.execute(delete(audit_pending).where(_p.id.in_(taken)))
        return len(rows)

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


_ANY_PENDING: Final = select(literal(1)).select_from(audit_pending).limit(1)


async def _last(transaction: SqlTransaction) -> AuditEntry | None:
    """The newest entry (read under the chain's lock), ``None`` for an empty chain."""
    newest = select(audit_entries).order_by(_a.sequence.desc()).limit(1)
    last = (await transaction.execute(newest)).mappings().first()
    return None if last is None else entry_from_row(last)


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
