"""What the SQL adapters promise beyond the ports' contracts: constraints and UTC timestamps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta, timezone
from functools import partial

import attrs
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.platform.webhooks import SqlWebhookReceipts
from kustodia_adapters.sql.tables import (
    disputes,
    escrow_deposits,
    escrow_payouts,
    escrow_settlements,
    users,
    webhook_receipts,
)
from kustodia_adapters.sql.tables import tickets as tickets_table
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.support.model import Ticket
from tests.contract.builders import (
    PAYEE,
    PAYER,
    SOURCE_CLABE,
    T0,
    commit_in_new_unit,
    complete,
    directory,
    dispute,
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


async def test_text_holding_nul_is_refused_by_postgresql_as_invalid_input_and_nothing_is_written(
    sql_engine: AsyncEngine,
) -> None:
    """The edges refuse U+0000 first; this is the last line for text that reached a store.

    PostgreSQL cannot store it in text (SQLSTATE 22021) or JSON (22P05): the refusal is a
    ``ValidationError``, not an untranslated 500. SQLite stores it verbatim.
    """
    named = user("usr_nul")
    named.full_name = "Ana\x00López"
    ticket = Ticket.open(ticket_id="tkt_nul", owner_id=PAYER, subject="a\x00b", body="b", at=T0)
    opened = dispute()
    opened.post_message(
        message_id="msg_1", author_id=UserId(PAYER), is_admin=False, body="x\x00", at=T0
    )
    receipts = SqlWebhookReceipts(sql_engine)
    units = partial(SqlUnitOfWork, sql_engine)

    async def receive() -> None:
        await receipts.first_seen("sig\x00", T0)

    await commit_in_new_unit(units, _parties_and_escrow)
    writes: tuple[Callable[[], Awaitable[None]], ...] = (
        lambda: commit_in_new_unit(units, lambda uow: uow.users.add(named)),  # a text column
        lambda: commit_in_new_unit(units, lambda uow: uow.disputes.add(opened)),  # JSON
        lambda: commit_in_new_unit(units, lambda uow: uow.tickets.add(ticket)),  # text again
        receive,  # a store outside the unit of work
    )

    if sql_engine.dialect.name == "sqlite":
        for write in writes:
            await write()
        async with units() as uow:
            assert (await uow.users.get("usr_nul")).full_name == "Ana\x00López"
            assert (await uow.disputes.get("dsp_1")).messages[-1].body == "x\x00"
            assert (await uow.tickets.get("tkt_nul")).subject == "a\x00b"
        assert await receipts.seen("sig\x00")
        return
    for write in writes:
        with pytest.raises(ValidationError) as refused:
            await write()
        assert refused.value.field == "text"
    assert await _count(sql_engine, users) == 2
    assert await _count(sql_engine, disputes) == 0
    assert await _count(sql_engine, tickets_table) == 0
    assert await _count(sql_engine, webhook_receipts) == 0


async def _parties_and_escrow(uow: UnitOfWork) -> None:
    for party in (PAYER, PAYEE):
        await uow.users.add(user(party))
    await uow.escrows.add(fund(escrow()))
