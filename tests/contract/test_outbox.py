"""The outbox: one message per key, pending oldest first until dispatched."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.outbox import OutboxMessage
from tests.contract.builders import T0, UnitOfWorkFactory


def message(key: str, *, minutes: int = 0, topic: str = "payout.requested") -> OutboxMessage:
    return OutboxMessage(
        key=key,
        topic=topic,
        payload={"payout_id": f"{key}-payout", "amount_minor": 10_000, "note": None},
        created_at=T0 + timedelta(minutes=minutes),
    )


class OutboxContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_pending_messages_come_back_oldest_first_up_to_the_limit(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.outbox.add(message("late", minutes=2))
            await uow.outbox.add(message("early", minutes=0))
            await uow.outbox.add(message("middle", minutes=1))
            await uow.commit()

        async with new_uow() as uow:
            pending = await uow.outbox.pending(2)
        assert [m.key for m in pending] == ["early", "middle"]
        assert pending[0] == message("early")

    async def test_a_key_already_there_is_not_enqueued_again(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.outbox.add(message("payout:esc_1:1:1"))
            await uow.commit()

        async with new_uow() as uow:
            await uow.outbox.add(message("payout:esc_1:1:1", topic="other", minutes=5))
            await uow.outbox.add(message("payout:esc_1:1:1", topic="other", minutes=5))
            await uow.commit()

        async with new_uow() as uow:
            pending = await uow.outbox.pending(10)
        assert pending == [message("payout:esc_1:1:1")]

    async def test_a_dispatched_message_is_no_longer_pending_nor_enqueued_again(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.outbox.add(message("a"))
            await uow.outbox.add(message("b", minutes=1))
            await uow.commit()

        async with new_uow() as uow:
            await uow.outbox.mark_dispatched("a", T0 + timedelta(minutes=3))
            await uow.outbox.mark_dispatched("a", T0 + timedelta(minutes=4))
            await uow.commit()
        async with new_uow() as uow:
            await uow.outbox.add(message("a"))
            await uow.commit()

        async with new_uow() as uow:
            assert [m.key for m in await uow.outbox.pending(10)] == ["b"]


class TestInMemoryOutbox(OutboxContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
