"""The reconciliation queue: one entry per tracking key, open ones oldest first."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.shared.money import Money
from tests.contract.builders import SOURCE_CLABE, T0, UnitOfWorkFactory, deposit_clabe_for


def deposit(tracking_key: str, *, minutes: int = 0, resolved: bool = False) -> UnmatchedDeposit:
    return UnmatchedDeposit(
        tracking_key=tracking_key,
        clabe=deposit_clabe_for("usr_payer").value,
        reference="7654321",
        amount=Money.mxn(50_000),
        source_clabe=SOURCE_CLABE,
        sender_name="Payer SA de CV",
        received_at=T0 + timedelta(minutes=minutes),
        resolved=resolved,
    )


class UnmatchedDepositRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_a_tracking_key_is_queued_only_once(self, new_uow: UnitOfWorkFactory) -> None:
        async with new_uow() as uow:
            assert await uow.unmatched_deposits.add(deposit("TRK1")) is True
            await uow.commit()

        async with new_uow() as uow:
            assert await uow.unmatched_deposits.add(deposit("TRK1", minutes=9)) is False
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.unmatched_deposits.list_open() == [deposit("TRK1")]

    async def test_open_deposits_come_back_oldest_first_without_resolved_ones(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.unmatched_deposits.add(deposit("late", minutes=5))
            await uow.unmatched_deposits.add(deposit("done", minutes=1, resolved=True))
            await uow.unmatched_deposits.add(deposit("early", minutes=0))
            await uow.commit()

        async with new_uow() as uow:
            open_keys = [d.tracking_key for d in await uow.unmatched_deposits.list_open()]
        assert open_keys == ["early", "late"]

    async def test_one_deposit_is_found_by_its_tracking_key_resolved_or_not(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.unmatched_deposits.add(deposit("open", minutes=2))
            await uow.unmatched_deposits.add(deposit("done", minutes=1, resolved=True))
            await uow.commit()

        async with new_uow() as uow:
            assert await uow.unmatched_deposits.get("open") == deposit("open", minutes=2)
            assert await uow.unmatched_deposits.get("done") == deposit(
                "done", minutes=1, resolved=True
            )
            assert await uow.unmatched_deposits.get("never") is None


class TestInMemoryUnmatchedDepositRepository(UnmatchedDepositRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
