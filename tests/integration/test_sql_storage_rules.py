"""What the SQL adapters promise beyond the ports' contracts: constraints and UTC timestamps."""

from __future__ import annotations

from datetime import timedelta, timezone

import attrs
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.tables import escrow_deposits, escrow_payouts, escrow_settlements
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError
from tests.contract.builders import (
    SOURCE_CLABE,
    T0,
    commit_in_new_unit,
    complete,
    directory,
    escrow,
    fund,
    user,
)


async def _count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as connection:
        count: int = (
            await connection.execute(select(func.count()).select_from(table))
        ).scalar_one()
        return count


async def test_an_escrow_read_in_another_unit_saves_only_its_new_child_rows(
    sql_engine: AsyncEngine,
) -> None:
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.add(escrow())
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as uow:
        loaded = await uow.escrows.get("esc_1")

    fund(loaded)
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.save(loaded)
        await uow.commit()
    complete(loaded, T0)
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.save(loaded)
        await uow.commit()

    assert await _count(sql_engine, escrow_deposits) == len(loaded.deposits) == 1
    assert await _count(sql_engine, escrow_payouts) == len(loaded.payouts)
    assert await _count(sql_engine, escrow_settlements) == 1


async def test_a_tracking_key_recorded_on_another_escrow_is_a_conflict(
    sql_engine: AsyncEngine,
) -> None:
    first = fund(escrow("esc_1", reference="1000001"))
    second = escrow("esc_2", reference="1000002")
    replayed = IncomingDeposit(
        tracking_key=first.deposits[0].tracking_key,
        amount=second.amount_due,
        source_clabe=SOURCE_CLABE,
        sender_name="Payer SA de CV",
        received_at=T0,
    )
    second.receive_deposit(replayed, T0, directory(second))
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.add(first)
        await uow.commit()

    with pytest.raises(ConflictError):
        await commit_in_new_unit(
            lambda: SqlUnitOfWork(sql_engine), lambda uow: uow.escrows.add(second)
        )


async def test_a_second_settlement_of_one_escrow_is_refused(sql_engine: AsyncEngine) -> None:
    settled = complete(fund(escrow()), T0)
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.add(settled)
        await uow.commit()

    # The domain never settles twice; this stands in for a bug that would.
    assert settled.settled_at is not None
    settled.settled_at += timedelta(days=1)
    with pytest.raises(ConcurrencyConflictError):
        await commit_in_new_unit(
            lambda: SqlUnitOfWork(sql_engine), lambda uow: uow.escrows.save(settled)
        )


async def test_a_unit_whose_statement_failed_in_the_database_cannot_commit(
    sql_engine: AsyncEngine,
) -> None:
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.users.add(user("usr_1", email="ana@example.mx"))
        await uow.commit()

    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.users.add(user("usr_2"))
        with pytest.raises(ConflictError):
            await uow.users.add(user("usr_3", email="ana@example.mx"))
        with pytest.raises(RuntimeError, match="can only roll back"):
            await uow.commit()

    async with SqlUnitOfWork(sql_engine) as uow:
        assert await uow.users.find_by_email(user("usr_2").email) is None


async def test_timestamps_are_stored_as_instants_and_read_back_in_utc(
    sql_engine: AsyncEngine,
) -> None:
    mexico_city = timezone(timedelta(hours=-6))
    registered = user(created_at=T0.astimezone(mexico_city))
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.users.add(registered)
        await uow.commit()

    async with SqlUnitOfWork(sql_engine) as uow:
        stored = await uow.users.get(registered.id)
    assert stored.created_at == T0
    assert stored.created_at.utcoffset() == timedelta(0)
    assert attrs.evolve(stored, created_at=registered.created_at) == registered
