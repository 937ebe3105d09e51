"""Users: unique e-mail (case-insensitive), lookups and optimistic versions."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, NotFoundError
from tests.contract.builders import (
    PAYEE,
    PAYER,
    UnitOfWorkFactory,
    commit_in_new_unit,
    deposit_clabe_for,
    user,
)


class UserRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_an_added_user_reads_back_equal_at_version_one(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        added = user()
        async with new_uow() as uow:
            await uow.users.add(added)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.users.get(PAYER)
        assert stored == added
        assert stored.version == 1

    async def test_getting_an_unknown_user_raises_not_found(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            with pytest.raises(NotFoundError):
                await uow.users.get("usr_nobody")

    async def test_an_email_taken_in_any_case_is_a_conflict(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user(PAYER, email="ana@example.mx"))
            await uow.commit()

        same_email = user(PAYEE, email="ANA@Example.MX")
        with pytest.raises(ConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.users.add(same_email))

    async def test_users_are_found_by_email_in_any_case_and_by_deposit_clabe(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user(PAYER, email="ana@example.mx"))
            await uow.users.add(user(PAYEE))
            await uow.commit()

        async with new_uow() as uow:
            by_email = await uow.users.find_by_email("Ana@EXAMPLE.mx")
            by_clabe = await uow.users.find_by_deposit_clabe(deposit_clabe_for(PAYEE))
            nobody = await uow.users.find_by_email("nobody@example.mx")
            no_clabe = await uow.users.find_by_deposit_clabe(deposit_clabe_for("usr_x"))
        assert by_email is not None
        assert by_email.id == PAYER
        assert by_clabe is not None
        assert by_clabe.id == PAYEE
        assert (nobody, no_clabe) == (None, None)

    async def test_saving_bumps_the_version_and_a_stale_save_conflicts(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user())
            await uow.commit()

        async with new_uow() as uow:
            fresh = await uow.users.get(PAYER)
            stale = await uow.users.get(PAYER)
            fresh.set_kyc_level(KycLevel.N2)
            await uow.users.save(fresh)
            assert fresh.version == 2
            with pytest.raises(ConcurrencyConflictError):
                await uow.users.save(stale)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.users.get(PAYER)
        assert (stored.kyc_level, stored.version) == (KycLevel.N2, 2)


class TestInMemoryUserRepository(UserRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)

    async def test_a_deposit_clabe_belongs_to_one_user_only(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        # Not in the port's words, but a deposit is matched to its owner by this CLABE.
        async with new_uow() as uow:
            await uow.users.add(user(PAYER))
            await uow.commit()
        twin = user(PAYEE)
        twin.deposit_clabe = deposit_clabe_for(PAYER)

        with pytest.raises(ConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.users.add(twin))
