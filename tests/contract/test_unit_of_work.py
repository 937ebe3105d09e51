"""The unit of work: atomic commits, rollback, optimistic concurrency and copy isolation."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError
from kustodia_domain.shared.money import MXN
from tests.contract.builders import (
    T0,
    UnitOfWorkFactory,
    commit_in_new_unit,
    deposit_into,
    directory,
    escrow,
    fund,
    postings_of,
    user,
)


def message(key: str) -> OutboxMessage:
    return OutboxMessage(key=key, topic="test", payload={"n": 1}, created_at=T0)


class UnitOfWorkContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def _seed_funded_escrow(self, new_uow: UnitOfWorkFactory) -> None:
        funded = fund(escrow())
        async with new_uow() as uow:
            await uow.escrows.add(funded)
            for transaction in postings_of(funded):
                await uow.ledger.post(transaction)
            await uow.commit()

    async def test_what_one_unit_commits_the_next_one_reads(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user())
            await uow.ledger.post(deposit_into("esc_1", 500, key="d1"))
            await uow.outbox.add(message("m1"))
            await uow.commit()

        async with new_uow() as uow:
            assert (await uow.users.get(user().id)).email == user().email
            assert await uow.ledger.balance(Account.custody("esc_1", MXN)) == 500
            assert [m.key for m in await uow.outbox.pending(10)] == ["m1"]

    async def test_leaving_without_commit_discards_every_change(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user())
            await uow.escrows.add(escrow())
            await uow.ledger.post(deposit_into("esc_1", 500, key="d1"))
            await uow.outbox.add(message("m1"))

        async with new_uow() as uow:
            assert await uow.users.find_by_email(user().email) is None
            assert await uow.escrows.find_by_reference(escrow().reference) is None
            assert not any((await uow.ledger.signed_totals()).values())
            assert await uow.outbox.pending(10) == []

    async def test_an_exception_in_the_block_discards_every_change(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async def add_then_fail(uow: UnitOfWork) -> None:
            await uow.users.add(user())
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            await commit_in_new_unit(new_uow, add_then_fail)

        async with new_uow() as uow:
            with pytest.raises(NotFoundError):
                await uow.users.get(user().id)

    async def test_a_unit_reads_its_own_uncommitted_writes(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.escrows.add(escrow())
            await uow.ledger.post(deposit_into("esc_1", 500, key="d1"))
            assert (await uow.escrows.get("esc_1")).reference == escrow().reference
            assert await uow.ledger.balance(Account.custody("esc_1", MXN)) == 500

    async def test_the_second_commit_from_the_same_version_fails_and_leaves_no_trace(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._seed_funded_escrow(new_uow)
        first, second = new_uow(), new_uow()
        async with first, second:
            mine, theirs = await first.escrows.get("esc_1"), await second.escrows.get("esc_1")
            mine.hold("manual review", T0)
            theirs.hold("fraud signal", T0)
            await first.escrows.save(mine)
            await first.commit()

            async def write_on_the_stale_read() -> None:
                await second.escrows.save(theirs)
                await second.ledger.post(deposit_into("esc_2", 700, key="loser"))
                await second.outbox.add(message("loser"))
                await second.commit()

            with pytest.raises(ConcurrencyConflictError):
                await write_on_the_stale_read()

        async with new_uow() as uow:
            stored = await uow.escrows.get("esc_1")
            assert (stored.hold_reason, stored.version) == ("manual review", 2)
            assert await uow.ledger.balance(Account.custody("esc_2", MXN)) == 0
            assert await uow.outbox.pending(10) == []

    async def test_two_tasks_settling_the_same_escrow_leave_exactly_one_winner(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._seed_funded_escrow(new_uow)
        at = T0 + timedelta(days=1)

        async def settle(task: str) -> None:
            async with new_uow() as uow:
                loaded = await uow.escrows.get("esc_1")
                loaded.approve_release(loaded.payer_id, at, directory(loaded))
                for transaction in postings_of(loaded):
                    await uow.ledger.post(transaction)
                await uow.outbox.add(message(f"settled-by-{task}"))
                await asyncio.sleep(0)  # let the other task read the same version
                await uow.escrows.save(loaded)
                await asyncio.sleep(0)
                await uow.commit()

        results = await asyncio.gather(settle("a"), settle("b"), return_exceptions=True)

        failures = [r for r in results if isinstance(r, BaseException)]
        assert len(failures) == 1
        assert isinstance(failures[0], ConcurrencyConflictError)
        async with new_uow() as uow:
            settled = await uow.escrows.get("esc_1")
            assert settled.state is EscrowState.RELEASED
            assert len(await uow.outbox.pending(10)) == 1
            assert await uow.ledger.balance(Account.custody("esc_1", MXN)) == 0
            assert sum((await uow.ledger.signed_totals()).values()) == 0

    async def test_changing_a_loaded_aggregate_does_not_change_the_store(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        added = escrow()
        async with new_uow() as uow:
            await uow.escrows.add(added)
            added.review_reasons.append("changed after add")
            loaded = await uow.escrows.get("esc_1")
            loaded.review_reasons.append("changed after get")
            assert (await uow.escrows.get("esc_1")).review_reasons == []
            await uow.commit()
        added.review_reasons.append("changed after commit")

        async with new_uow() as uow:
            assert (await uow.escrows.get("esc_1")).review_reasons == []

    async def test_pending_events_are_not_stored(self, new_uow: UnitOfWorkFactory) -> None:
        added = escrow()
        async with new_uow() as uow:
            await uow.escrows.add(added)
            await uow.commit()

        assert added.pending_events, "the caller keeps its events to publish them"
        async with new_uow() as uow:
            assert (await uow.escrows.get("esc_1")).pending_events == []


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)

    async def test_repositories_refuse_to_work_outside_the_block(self) -> None:
        uow = InMemoryUnitOfWork(InMemoryStore())
        with pytest.raises(RuntimeError, match="async with"):
            await uow.users.get("usr_1")

    async def test_a_unit_cannot_be_entered_twice(self) -> None:
        uow = InMemoryUnitOfWork(InMemoryStore())
        async with uow:
            with pytest.raises(RuntimeError, match="already open"):
                await uow.__aenter__()
