"""The outbox: one message per key, pending oldest first until dispatched; leases and retries."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.outbox import ClaimedMessage, OutboxMessage, OutboxState
from kustodia_domain.shared.errors import ConflictError, NotFoundError
from tests.contract.builders import T0, UnitOfWorkFactory

TOPIC = "payout.requested"
LEASE = timedelta(minutes=5)


def message(key: str, *, minutes: int = 0, topic: str = TOPIC) -> OutboxMessage:
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

    # ------------------------------------------------------------------ leases
    async def test_a_claim_leases_the_oldest_due_messages_of_its_topics(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("b", minutes=1), message("a"), message("c", minutes=2))
        await self._add(new_uow, message("e", topic="email.send"))

        first = await self._claim(new_uow, "w1", limit=2)
        assert [c.key for c in first] == ["a", "b"]
        assert first[0].message == message("a")
        assert (first[0].attempts, first[0].leased_by) == (1, "w1")
        assert first[0].leased_until == T0 + LEASE
        assert [c.key for c in await self._claim(new_uow, "w2", limit=10)] == ["c"]
        assert await self._claim(new_uow, "w3", limit=10) == []
        both = await self._claim(new_uow, "w3", limit=10, topics=("email.send", TOPIC))
        assert [c.key for c in both] == ["e"]
        async with new_uow() as uow:  # leased messages are still pending
            assert len(await uow.outbox.pending(10)) == 4

    async def test_an_expired_lease_is_claimable_again_and_counts_an_attempt(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"))
        await self._claim(new_uow, "w1")
        assert await self._claim(new_uow, "w2", at=T0 + LEASE - timedelta(seconds=1)) == []

        again = await self._claim(new_uow, "w2", at=T0 + LEASE)
        assert [(c.key, c.attempts, c.leased_by) for c in again] == [("a", 2, "w2")]

    async def test_a_completed_message_is_never_claimed_again(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"), message("b"))
        await self._claim(new_uow, "w1")
        async with new_uow() as uow:
            await uow.outbox.complete("a", T0)
            await uow.outbox.complete("a", T0 + timedelta(minutes=1))
            await uow.commit()
        later = T0 + 10 * LEASE
        assert [c.key for c in await self._claim(new_uow, "w2", at=later)] == ["b"]
        async with new_uow() as uow:
            assert [m.key for m in await uow.outbox.pending(10)] == ["b"]
            with pytest.raises(NotFoundError):
                await uow.outbox.complete("missing", T0)

    async def test_a_failed_attempt_waits_for_its_retry_time(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"))
        [claimed] = await self._claim(new_uow, "w1")
        retry_at = T0 + timedelta(minutes=2)
        async with new_uow() as uow:
            await uow.outbox.fail(claimed, T0, "rail down", retry_at)
            await uow.commit()

        assert await self._claim(new_uow, "w2", at=retry_at - timedelta(seconds=1)) == []
        again = await self._claim(new_uow, "w2", at=retry_at)
        assert [(c.key, c.attempts) for c in again] == [("a", 2)]

    async def test_a_released_claim_is_not_an_attempt(self, new_uow: UnitOfWorkFactory) -> None:
        await self._add(new_uow, message("a"))
        [claimed] = await self._claim(new_uow, "w1")
        async with new_uow() as uow:
            await uow.outbox.release(claimed, None)
            await uow.commit()
        assert [(c.key, c.attempts) for c in await self._claim(new_uow, "w2")] == [("a", 1)]

    async def test_a_claim_taken_over_after_its_lease_can_neither_fail_nor_release_it(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"))
        [stale] = await self._claim(new_uow, "w1")
        later = T0 + LEASE
        [current] = await self._claim(new_uow, "w2", at=later)
        async with new_uow() as uow:  # w1's call ends after its lease ran out
            await uow.outbox.release(stale, None)
            await uow.outbox.fail(stale, later, "timed out", None)
            await uow.commit()

        # Still w2's until its own lease runs out: no third worker works on it meanwhile.
        assert await self._claim(new_uow, "w3", at=later + LEASE - timedelta(seconds=1)) == []
        async with new_uow() as uow:
            assert await uow.outbox.dead(10) == []
            await uow.outbox.fail(current, later, "rail down", None)  # the holder still can
            await uow.commit()
        async with new_uow() as uow:
            [dead] = await uow.outbox.dead(10)
        assert (dead.attempts, dead.last_error) == (2, "rail down")

    async def test_a_claim_is_fenced_by_its_attempt_even_under_the_same_worker_id(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"))
        [stale] = await self._claim(new_uow, "w1")
        [current] = await self._claim(new_uow, "w1", at=T0 + LEASE)
        async with new_uow() as uow:
            await uow.outbox.release(stale, None)
            await uow.commit()
        assert await self._claim(new_uow, "w2", at=T0 + LEASE) == []
        async with new_uow() as uow:
            await uow.outbox.release(current, None)
            await uow.outbox.fail(current, T0, "already given back", None)  # no effect
            await uow.commit()
        again = await self._claim(new_uow, "w2", at=T0 + LEASE)
        assert [(c.key, c.attempts) for c in again] == [("a", 2)]

    async def test_a_message_failed_without_retry_is_dead_until_an_admin_retries_it(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, message("a"), message("b"))
        [claimed] = await self._claim(new_uow, "w1", limit=1)
        async with new_uow() as uow:
            await uow.outbox.fail(claimed, T0 + timedelta(minutes=1), "rejected", None)
            await uow.outbox.fail(claimed, T0 + timedelta(minutes=2), "late", T0)  # no effect
            await uow.commit()

        async with new_uow() as uow:
            dead = await uow.outbox.dead(10)
            assert [m.key for m in await uow.outbox.pending(10)] == ["b"]
        assert [(d.message, d.attempts, d.last_error) for d in dead] == [
            (message("a"), 1, "rejected")
        ]
        assert dead[0].dead_at == T0 + timedelta(minutes=1)
        assert dead[0].state is OutboxState.DEAD
        later = T0 + 10 * LEASE
        assert [c.key for c in await self._claim(new_uow, "w2", at=later)] == ["b"]

        async with new_uow() as uow:
            await uow.outbox.retry_dead("a")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.outbox.dead(10) == []
            with pytest.raises(NotFoundError):
                await uow.outbox.retry_dead("a")
        revived = await self._claim(new_uow, "w3", at=later)
        assert [(c.key, c.attempts) for c in revived] == [("a", 1)]

    async def test_concurrent_claims_never_share_a_message(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, *(message(f"m{n:02}", minutes=n) for n in range(30)))

        async def claimer(worker: str) -> list[str]:
            taken: list[str] = []
            for _ in range(20):
                try:
                    taken += [c.key for c in await self._claim(new_uow, worker, limit=3)]
                except ConflictError:
                    continue  # lost a race: claim again
            return taken

        results = await asyncio.gather(*(claimer(f"w{n}") for n in range(4)))
        everything = [key for taken in results for key in taken]
        assert sorted(everything) == [f"m{n:02}" for n in range(30)]

    @staticmethod
    async def _add(new_uow: UnitOfWorkFactory, *messages: OutboxMessage) -> None:
        async with new_uow() as uow:
            for m in messages:
                await uow.outbox.add(m)
            await uow.commit()

    @staticmethod
    async def _claim(
        new_uow: UnitOfWorkFactory,
        worker: str,
        *,
        limit: int = 10,
        at: datetime = T0,
        topics: tuple[str, ...] = (TOPIC,),
    ) -> list[ClaimedMessage]:
        async with new_uow() as uow:
            claimed = list(await uow.outbox.claim(topics, limit, worker, LEASE, at))
            await uow.commit()
        return claimed


class TestInMemoryOutbox(OutboxContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
