"""The event log: append-only, unique per (aggregate, sequence), read back in sequence order."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.events import DomainEvent
from tests.contract.builders import PAYER, T0, UnitOfWorkFactory, commit_in_new_unit, escrow, fund


class EventLogContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_an_aggregates_events_come_back_equal_in_sequence_order(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        funded = fund(escrow())
        events = funded.pull_events()
        async with new_uow() as uow:
            await uow.events.append(events[2:])
            await uow.events.append(events[:2])
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.events.for_aggregate("esc_1")
            other = await uow.events.for_aggregate("esc_other")
        assert list(stored) == events
        assert [e.sequence for e in stored] == list(range(1, len(events) + 1))
        assert other == []

    async def test_a_sequence_already_stored_is_a_conflict_and_the_batch_writes_nothing(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        opened = escrow()
        first = opened.pull_events()
        async with new_uow() as uow:
            await uow.events.append(first)
            await uow.commit()
        fund(opened)
        later = opened.pull_events()

        with pytest.raises(ConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.events.append([*later, first[0]]))
        async with new_uow() as uow:
            assert list(await uow.events.for_aggregate("esc_1")) == first

    async def test_events_of_a_unit_left_without_commit_are_not_stored(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.events.append([DomainEvent(aggregate_id=PAYER, sequence=1, occurred_at=T0)])

        async with new_uow() as uow:
            assert await uow.events.for_aggregate(PAYER) == []


class TestInMemoryEventLog(EventLogContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
