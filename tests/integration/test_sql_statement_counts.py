"""Statements per operation: each is a round trip to PostgreSQL, so their number is pinned here.

Counted up to and including the commit, which sends the writes queued for write-behind: on
PostgreSQL in one statement (with the escrow's own row), on SQLite (in process, no round trips)
one per table. On PostgreSQL a unit that writes only at its commit also sends no ``BEGIN`` nor
``COMMIT``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.ids import SequentialIdGenerator
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.shared.money import MXN
from tests.contract.builders import (
    T0,
    deposit_into,
    directory,
    escrow,
    fund,
    postings_of,
    transfer,
    user,
)
from tests.support.statements import on_postgres, statements


async def _count(engine: AsyncEngine, work: Callable[[UnitOfWork], Awaitable[object]]) -> int:
    async with SqlUnitOfWork(engine) as uow:
        with statements(engine) as seen:
            await work(uow)
            await uow.commit()
    return len(seen)


async def test_a_ledger_transaction_is_two_statements_on_postgres_and_a_replay_one(
    sql_engine: AsyncEngine,
) -> None:
    deposit = deposit_into("esc_1", 10_000, key="dep-1")
    release = transfer(
        Account.custody("esc_1", MXN), Account.payable("usr_1", MXN), 10_000, key="r"
    )
    # Read the balances drawn down and the key; then the flush. SQLite: the key, the postings
    # and the balances apart.
    new = 2 if on_postgres(sql_engine) else 4

    assert await _count(sql_engine, lambda uow: uow.ledger.post(deposit)) == new
    assert await _count(sql_engine, lambda uow: uow.ledger.post(deposit)) == 1
    assert await _count(sql_engine, lambda uow: uow.ledger.post(release)) == new


async def test_an_escrow_is_read_in_one_statement_and_written_with_the_flush(
    sql_engine: AsyncEngine,
) -> None:
    # PostgreSQL: the flush (the escrow and its participants). SQLite: INSERT each.
    assert await _count(sql_engine, lambda uow: uow.escrows.add(escrow())) == (
        1 if on_postgres(sql_engine) else 2
    )

    async def fund_it(uow: UnitOfWork) -> None:
        loaded = await uow.escrows.get("esc_1")
        await uow.escrows.save(fund(loaded))

    # get; the flush (UPDATE escrows, its deposits and payouts). SQLite: UPDATE, then each
    # child table apart.
    assert await _count(sql_engine, fund_it) == (2 if on_postgres(sql_engine) else 4)


async def test_a_release_sends_every_row_it_only_inserts_in_one_statement(
    sql_engine: AsyncEngine,
) -> None:
    funded, ids = fund(escrow()), SequentialIdGenerator()
    async with SqlUnitOfWork(sql_engine) as uow:
        await persist_escrow(uow, funded, ids, new=True)
        await uow.commit()

    async def release(uow: UnitOfWork) -> None:
        loaded = await uow.escrows.get("esc_1")
        loaded.approve_release(loaded.payer_id, T0, directory(loaded))
        await persist_escrow(uow, loaded, ids)

    # PostgreSQL: get (with the parties' users, the custody total and the escrow's ledger
    # keys, so the ledger need not read); the flush: the escrow's UPDATE, its payouts and
    # settlement, the ledger transaction, outbox messages, notifications and events together.
    # SQLite reads the ledger apart and sends the UPDATE and each table apart.
    assert await _count(sql_engine, release) == (2 if on_postgres(sql_engine) else 11)


async def _in_transaction(uow: SqlUnitOfWork) -> bool:
    """Whether the unit's connection is inside a transaction, as the driver sees it."""
    current = uow._current()
    raw: Any = (await current.connection.get_raw_connection()).driver_connection
    if current.dialect.name == "postgresql":
        return bool(raw.is_in_transaction())
    return bool(raw.in_transaction)


async def test_a_unit_writing_only_at_its_commit_opens_no_transactionon_postgres(
    sql_engine: AsyncEngine,
) -> None:
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.add(escrow())
        await uow.commit()

    async with SqlUnitOfWork(sql_engine) as uow:
        loaded = await uow.escrows.get("esc_1")
        for transaction in postings_of(fund(loaded)):
            await uow.ledger.post(transaction)
        await uow.escrows.save(loaded)
        # PostgreSQL: the reads ran on their own and the writes wait for the commit, which
        # sends them as one statement. SQLite: one snapshot from the first read (dialects.py).
        assert await _in_transaction(uow) is not on_postgres(sql_engine)
        await uow.commit()

    async with SqlUnitOfWork(sql_engine) as uow:
        assert (await uow.escrows.get("esc_1")).version == 2
        # A write before the commit opens the transaction the rest of the unit runs in.
        await uow.users.add(user())
        assert await _in_transaction(uow)
