"""PostgreSQL: the escrow's read carries what ``ledger.post`` checks for that escrow.

A release reads its escrow, then posts from the escrow's custody account; the ledger's check
needs that account's total and whether the transaction's key is stored. The escrow's read
brings both (``SqlTransaction.ledger_read``), so the post sends nothing. These tests pin that
what it carries is what the ledger's own read returns, that the post still refuses what it
refused before (an overdraft, a key stored for different postings, a deposit's key stored on
another escrow) and still accepts a replay, and that nothing carried is trusted after the unit
wrote. SQLite carries nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.ids import SequentialIdGenerator, UuidIdGenerator
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import NegativeBalanceError
from kustodia_domain.ledger.transactions import LedgerTransaction, escrow_key
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.shared.errors import ConcurrencyConflictError, IdempotencyConflictError
from kustodia_domain.shared.money import MXN
from tests.contract.builders import deposit_into, escrow, fund, transfer
from tests.support.statements import on_postgres, statements


async def _funded(engine: AsyncEngine) -> Escrow:
    funded = fund(escrow())
    async with SqlUnitOfWork(engine) as uow:
        await persist_escrow(uow, funded, SequentialIdGenerator(), new=True)
        await uow.commit()
    return funded


def _custody(of: Escrow) -> Account:
    return Account.custody(of.id, MXN)


PAYABLE = Account.payable("usr_9", MXN)


def _draw(of: Escrow, amount_minor: int, *, sequence: int) -> LedgerTransaction:
    """A transaction of ``of``'s own (its key is the escrow's) moving custody to a payable."""
    key = escrow_key(of.id, sequence)
    return transfer(_custody(of), PAYABLE, amount_minor, key=key, escrow_id=of.id)


async def test_the_escrow_read_carries_the_custody_total_and_the_ledger_keys(
    sql_engine: AsyncEngine,
) -> None:
    funded = await _funded(sql_engine)
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.get(funded.id)
        carried = uow._current().ledger_read.get(funded.id)
        totals = await uow.ledger.signed_totals()
        stored = await uow.ledger.transactions_for_escrow(funded.id)
    if not on_postgres(sql_engine):
        assert carried is None
        return
    assert carried is not None
    code = _custody(funded).code
    assert carried.accounts == {code}
    assert carried.totals == {code: totals[_custody(funded)]}
    assert carried.totals[code] != 0
    assert carried.keys == {transaction.key for transaction in stored}
    assert carried.keys


async def test_an_escrow_without_ledger_rows_carries_a_zero_total_and_no_keys(
    sql_engine: AsyncEngine,
) -> None:
    unfunded = escrow()
    async with SqlUnitOfWork(sql_engine) as uow:
        await persist_escrow(uow, unfunded, SequentialIdGenerator(), new=True)
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.get(unfunded.id)
        carried = uow._current().ledger_read.get(unfunded.id)
        overdraft = _draw(unfunded, 1, sequence=99)
        with statements(sql_engine) as seen, pytest.raises(NegativeBalanceError):
            await uow.ledger.post(overdraft)
    assert seen == ([] if on_postgres(sql_engine) else ["SELECT"])
    if on_postgres(sql_engine):
        assert carried is not None
        assert (carried.totals, carried.keys) == ({}, frozenset())


async def test_a_post_after_the_read_is_checked_against_it_and_sends_nothing(
    sql_engine: AsyncEngine,
) -> None:
    funded = await _funded(sql_engine)
    held = funded.custody_balance.amount_minor
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.get(funded.id)
        too_much = _draw(funded, held + 1, sequence=98)
        with statements(sql_engine) as seen:
            with pytest.raises(NegativeBalanceError):
                await uow.ledger.post(too_much)
            assert await uow.ledger.post(_draw(funded, held, sequence=99))
        assert seen == ([] if on_postgres(sql_engine) else ["SELECT", "SELECT"])
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as uow:
        assert await uow.ledger.balance(_custody(funded)) == 0
        assert await uow.ledger.balance(PAYABLE) == held


async def _replay_then_conflict(
    engine: AsyncEngine, *, read: str, stored: LedgerTransaction, other: LedgerTransaction
) -> None:
    """After reading escrow ``read``: ``stored`` again is a replay, ``other`` under its key a
    conflict."""
    async with SqlUnitOfWork(engine) as uow:
        await uow.escrows.get(read)
        assert await uow.ledger.post(stored) is False
        with pytest.raises(IdempotencyConflictError):
            await uow.ledger.post(other)


async def test_a_stored_key_of_the_escrow_is_still_a_replay_or_a_conflict(
    sql_engine: AsyncEngine,
) -> None:
    funded = await _funded(sql_engine)
    stored = _draw(funded, 1, sequence=99)
    async with SqlUnitOfWork(sql_engine) as uow:
        assert await uow.ledger.post(stored)
        await uow.commit()
    other = _draw(funded, 2, sequence=99)
    await _replay_then_conflict(sql_engine, read=funded.id, stored=stored, other=other)


async def test_nothing_carried_is_trusted_once_the_unit_wrote(sql_engine: AsyncEngine) -> None:
    funded = await _funded(sql_engine)
    held = funded.custody_balance.amount_minor
    async with SqlUnitOfWork(sql_engine) as uow:
        await uow.escrows.get(funded.id)
        await uow.ledger.post(deposit_into(funded.id, 500, key="more"))
        # Reading a balance sends the pending rows first: the custody total read with the
        # escrow no longer counts the 500 added, nor the key "more" among the stored ones.
        assert await uow.ledger.balance(_custody(funded)) == held + 500
        assert not uow._current().ledger_read
        everything = _draw(funded, held + 500, sequence=99)
        assert await uow.ledger.post(everything)
        assert await uow.ledger.post(deposit_into(funded.id, 500, key="more")) is False
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as uow:
        assert await uow.ledger.balance(_custody(funded)) == 0
        assert await uow.ledger.balance(PAYABLE) == held + 500


async def test_a_deposit_key_booked_on_another_escrow_is_still_found(
    sql_engine: AsyncEngine,
) -> None:
    # A deposit's key is the rail's tracking key, not the escrow's: it may be stored on another
    # escrow (or in suspense), which the escrow's read knows nothing of.
    ids = SequentialIdGenerator()
    first, second = fund(escrow("esc_1")), escrow("esc_2", reference="1000002")
    async with SqlUnitOfWork(sql_engine) as uow:
        await persist_escrow(uow, first, ids, new=True)
        await persist_escrow(uow, second, ids, new=True)
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as uow:
        stored = (await uow.ledger.transactions_for_escrow(first.id))[0]
    assert stored.key.startswith("deposit:")
    other = deposit_into(second.id, 1_000, key=stored.key)
    await _replay_then_conflict(sql_engine, read=second.id, stored=stored, other=other)


async def test_a_deposit_recorded_since_the_read_is_a_lost_race_not_an_overdraft(
    sql_engine: AsyncEngine,
) -> None:
    # Half in custody: funding pays the other half out of custody at once, so the unit posts
    # the deposit (its key looked up) and then draws custody (a key of the escrow's own).
    unfunded = escrow(custody_percent=50)
    async with SqlUnitOfWork(sql_engine) as uow:
        await persist_escrow(uow, unfunded, UuidIdGenerator(), new=True)
        await uow.commit()
    async with SqlUnitOfWork(sql_engine) as late:
        stale = await late.escrows.get(unfunded.id)
        # The rail's first delivery is recorded after this unit read the escrow...
        async with SqlUnitOfWork(sql_engine) as first:
            recorded = fund(await first.escrows.get(unfunded.id))
            await persist_escrow(first, recorded, UuidIdGenerator())
            await first.commit()
        # ...and this unit applies the replay to what it read: the deposit's key is found
        # stored (a replay, nothing queued), so custody must not be checked against the total
        # read with the escrow, from before the deposit: the unit lost a race, it did not
        # overdraw custody.
        fund(stale)

        async def replay() -> None:
            await persist_escrow(late, stale, UuidIdGenerator())  # SQLite: refused here
            await late.commit()  # PostgreSQL: refused here

        with pytest.raises(ConcurrencyConflictError):
            await replay()
