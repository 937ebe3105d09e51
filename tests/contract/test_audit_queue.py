"""Audit records queued in a unit of work and chained later: the same on every adapter.

A record is committed with its unit or not at all, and each committed record is chained
exactly once, in queue order, into one unbroken chain with the entries appended directly.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.audit.chain import AuditRecord, verify
from kustodia_domain.ports.audit import AuditTrail
from tests.contract.builders import T0, UnitOfWorkFactory


def record(n: int) -> AuditRecord:
    return AuditRecord(
        actor_id="usr_1",
        action=f"test.{n}",
        subject_type="escrow",
        subject_id=f"esc_{n}",
        at=T0,
        details={"n": n, "flag": n % 2 == 0, "note": None},
    )


async def commit_records(new_uow: UnitOfWorkFactory, *numbers: int) -> None:
    async with new_uow() as uow:
        for n in numbers:
            await uow.audit.add(record(n))
        await uow.commit()


async def chained_actions(trail: AuditTrail) -> list[str]:
    entries = await trail.entries(offset=0, limit=1000)
    assert verify(entries).ok
    return [entry.record.action for entry in entries]


async def _add_then_fail(new_uow: UnitOfWorkFactory) -> None:
    async with new_uow() as uow:
        await uow.audit.add(record(2))
        raise RuntimeError


class AuditQueueContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    @pytest.fixture
    @abstractmethod
    def trail(self, new_uow: UnitOfWorkFactory) -> AuditTrail:
        """The audit trail over the same store as ``new_uow``."""

    async def test_committed_records_are_chained_once_in_queue_order(
        self, new_uow: UnitOfWorkFactory, trail: AuditTrail
    ) -> None:
        await commit_records(new_uow, 1, 2)
        await commit_records(new_uow, 3)
        assert await trail.count() == 0  # queued, not chained yet
        assert await trail.chain_pending(10) == 3
        assert await trail.chain_pending(10) == 0
        assert await chained_actions(trail) == ["test.1", "test.2", "test.3"]
        stored = (await trail.entries(offset=0, limit=1))[0].record
        assert stored == record(1)  # details and time come back as written

    async def test_a_unit_that_did_not_commit_leaves_no_record(
        self, new_uow: UnitOfWorkFactory, trail: AuditTrail
    ) -> None:
        async with new_uow() as uow:
            await uow.audit.add(record(1))  # left without commit: rolled back
        with pytest.raises(RuntimeError):
            await _add_then_fail(new_uow)
        assert await trail.chain_pending(10) == 0
        assert await trail.count() == 0

    async def test_a_batch_takes_at_most_its_limit_and_leaves_the_rest_queued(
        self, new_uow: UnitOfWorkFactory, trail: AuditTrail
    ) -> None:
        await commit_records(new_uow, 1, 2, 3, 4, 5)
        assert await trail.chain_pending(2) == 2
        assert await chained_actions(trail) == ["test.1", "test.2"]
        assert await trail.chain_pending(10) == 3
        assert await chained_actions(trail) == [f"test.{n}" for n in range(1, 6)]

    async def test_concurrent_chainers_chain_each_record_once(
        self, new_uow: UnitOfWorkFactory, trail: AuditTrail
    ) -> None:
        await commit_records(new_uow, *range(12))
        taken = await asyncio.gather(*(trail.chain_pending(3) for _ in range(6)))
        assert sum(taken) == 12
        assert sorted(await chained_actions(trail)) == sorted(f"test.{n}" for n in range(12))

    async def test_direct_appends_and_chained_records_form_one_chain(
        self, new_uow: UnitOfWorkFactory, trail: AuditTrail
    ) -> None:
        await trail.append(record(1))
        await commit_records(new_uow, 2)
        await trail.chain_pending(10)
        await trail.append(record(3))
        assert await chained_actions(trail) == ["test.1", "test.2", "test.3"]
        assert await trail.count() == 3


class TestInMemoryAuditQueue(AuditQueueContract):
    @pytest.fixture
    def store(self) -> InMemoryStore:
        return InMemoryStore()

    @pytest.fixture
    async def new_uow(self, store: InMemoryStore) -> UnitOfWorkFactory:
        return lambda: InMemoryUnitOfWork(store)

    @pytest.fixture
    def trail(self, store: InMemoryStore) -> AuditTrail:
        return InMemoryAuditTrail(store)
