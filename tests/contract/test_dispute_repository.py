"""Disputes: by id, by party, with optimistic versions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.disputes.model import DisputeStatus
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, NotFoundError
from tests.contract.builders import (
    PAYEE,
    PAYER,
    T0,
    UnitOfWorkFactory,
    commit_in_new_unit,
    dispute,
    resolve,
)


class DisputeRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_an_added_dispute_reads_back_equal_at_version_one(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        added = dispute()
        async with new_uow() as uow:
            await uow.disputes.add(added)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.disputes.get("dsp_1")
        assert stored == added
        assert (stored.version, stored.pending_events) == (1, [])

    async def test_getting_an_unknown_dispute_raises_not_found(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            with pytest.raises(NotFoundError):
                await uow.disputes.get("dsp_nothing")

    async def test_adding_a_dispute_id_twice_is_a_conflict(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.disputes.add(dispute())
            await uow.commit()

        with pytest.raises(ConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.disputes.add(dispute()))

    async def test_a_user_sees_the_disputes_where_they_are_a_party(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.disputes.add(dispute("dsp_1", escrow_id="esc_1"))
            await uow.disputes.add(
                dispute(
                    "dsp_2",
                    escrow_id="esc_2",
                    payee="usr_other",
                    opened_by="usr_other",
                    at=T0 + timedelta(hours=1),
                )
            )
            await uow.commit()

        async with new_uow() as uow:
            payer = await uow.disputes.list_for_user(PAYER)
            payee = await uow.disputes.list_for_user(PAYEE)
            outsider = await uow.disputes.list_for_user("usr_outsider")
        assert sorted(d.id for d in payer) == ["dsp_1", "dsp_2"]
        assert [d.id for d in payee] == ["dsp_1"]
        assert outsider == []

    async def test_saving_bumps_the_version_and_a_stale_save_conflicts(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.disputes.add(dispute())
            await uow.commit()
        async with new_uow() as uow:
            stale = await uow.disputes.get("dsp_1")

        async with new_uow() as uow:
            fresh = await uow.disputes.get("dsp_1")
            await uow.disputes.save(resolve(fresh, Resolution.REFUND, T0))
            await uow.commit()
        assert fresh.version == 2

        resolve(stale, Resolution.RELEASE, T0)
        with pytest.raises(ConcurrencyConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.disputes.save(stale))
        async with new_uow() as uow:
            stored = await uow.disputes.get("dsp_1")
        assert stored.status is DisputeStatus.RESOLVED
        assert stored.resolution is not None
        assert stored.resolution.resolution is Resolution.REFUND


class TestInMemoryDisputeRepository(DisputeRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
