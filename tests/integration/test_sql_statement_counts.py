"""Statements per operation: each is a round trip to PostgreSQL, so their number is pinned here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.money import MXN
from tests.contract.builders import deposit_into, escrow, fund, transfer


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # SQLite's BEGIN is ours (see dialects.py); on PostgreSQL the driver sends it itself.
        if statement != "BEGIN":
            seen.append(statement.split(None, 1)[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _count(engine: AsyncEngine, work: Callable[[UnitOfWork], Awaitable[object]]) -> int:
    async with SqlUnitOfWork(engine) as uow:
        with _statements(engine) as seen:
            await work(uow)
        await uow.commit()
    return len(seen)


async def test_a_ledger_transaction_is_four_statements_and_a_replay_one(
    sql_engine: AsyncEngine,
) -> None:
    deposit = deposit_into("esc_1", 10_000, key="dep-1")
    release = transfer(
        Account.custody("esc_1", MXN), Account.payable("usr_1", MXN), 10_000, key="r"
    )

    assert await _count(sql_engine, lambda uow: uow.ledger.post(deposit)) == 4
    assert await _count(sql_engine, lambda uow: uow.ledger.post(deposit)) == 1
    assert await _count(sql_engine, lambda uow: uow.ledger.post(release)) == 4


async def test_an_escrow_is_read_in_one_statement_and_written_in_one_per_table(
    sql_engine: AsyncEngine,
) -> None:
    assert await _count(sql_engine, lambda uow: uow.escrows.add(escrow())) == 2

    async def fund_it(uow: UnitOfWork) -> None:
        loaded = await uow.escrows.get("esc_1")
        await uow.escrows.save(fund(loaded))

    # get; UPDATE escrows; INSERT escrow_deposits; INSERT escrow_payouts.
    assert await _count(sql_engine, fund_it) == 4
