"""Party histories: account age, completed escrows and disputes, as of a moment."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.history import InMemoryPartyHistoryReader
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.assessor import PartyHistoryReader
from kustodia_domain.shared.errors import NotFoundError
from tests.contract.builders import (
    PAYEE,
    PAYER,
    T0,
    UnitOfWorkFactory,
    complete,
    dispute,
    escrow,
    fund,
    resolve,
    user,
)

DAY = timedelta(days=1)


class PartyHistoryReaderContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store, used to write the history."""

    @pytest.fixture
    @abstractmethod
    async def reader(self) -> PartyHistoryReader:
        """The reader under test, over the same store as ``new_uow``."""

    async def test_a_new_user_has_an_empty_history_and_an_age_in_whole_days(
        self, new_uow: UnitOfWorkFactory, reader: PartyHistoryReader
    ) -> None:
        newcomer = user(PAYER)
        newcomer.set_kyc_level(KycLevel.N3)
        async with new_uow() as uow:
            await uow.users.add(newcomer)
            await uow.commit()

        history = await reader.history(PAYER, T0 + 40 * DAY + timedelta(hours=23))

        assert history.account_age_days == 40
        assert history.kyc_level == "N3"
        assert (history.escrows_completed, history.disputes_opened) == (0, 0)
        assert (history.disputes_won, history.disputes_lost) == (0, 0)

    async def test_only_escrows_completed_before_the_moment_count(
        self, new_uow: UnitOfWorkFactory, reader: PartyHistoryReader
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user(PAYER))
            await uow.escrows.add(complete(fund(escrow("esc_1", reference="1000001")), T0 + DAY))
            await uow.escrows.add(
                complete(fund(escrow("esc_2", reference="1000002")), T0 + 5 * DAY)
            )
            await uow.escrows.add(fund(escrow("esc_3", reference="1000003")))
            await uow.escrows.add(
                complete(fund(escrow("esc_4", reference="1000004", payer="usr_x")), T0 + DAY)
            )
            await uow.commit()

        history = await reader.history(PAYER, T0 + 3 * DAY)

        assert history.escrows_completed == 1

    async def test_release_is_a_win_for_the_payee_refund_for_the_payer_split_for_nobody(
        self, new_uow: UnitOfWorkFactory, reader: PartyHistoryReader
    ) -> None:
        async with new_uow() as uow:
            await uow.users.add(user(PAYER))
            await uow.users.add(user(PAYEE))
            await uow.disputes.add(resolve(dispute("dsp_1"), Resolution.RELEASE, T0 + DAY))
            await uow.disputes.add(resolve(dispute("dsp_2"), Resolution.RELEASE, T0 + DAY))
            await uow.disputes.add(
                resolve(dispute("dsp_3", opened_by=PAYEE), Resolution.REFUND, T0 + DAY)
            )
            await uow.disputes.add(resolve(dispute("dsp_4"), Resolution.SPLIT, T0 + DAY))
            await uow.disputes.add(dispute("dsp_5"))
            await uow.disputes.add(
                resolve(dispute("dsp_6", at=T0 + DAY), Resolution.REFUND, T0 + 9 * DAY)
            )
            await uow.disputes.add(dispute("dsp_7", at=T0 + 9 * DAY))
            await uow.commit()

        as_of = T0 + 2 * DAY
        payer = await reader.history(PAYER, as_of)
        payee = await reader.history(PAYEE, as_of)

        assert (payer.disputes_opened, payer.disputes_won, payer.disputes_lost) == (5, 1, 2)
        assert (payee.disputes_opened, payee.disputes_won, payee.disputes_lost) == (1, 2, 1)

    async def test_an_unknown_user_has_no_history(self, reader: PartyHistoryReader) -> None:
        with pytest.raises(NotFoundError):
            await reader.history("usr_nobody", T0)


class TestInMemoryPartyHistoryReader(PartyHistoryReaderContract):
    @pytest.fixture
    async def store(self) -> InMemoryStore:
        return InMemoryStore()

    @pytest.fixture
    async def new_uow(self, store: InMemoryStore) -> UnitOfWorkFactory:
        return lambda: InMemoryUnitOfWork(store)

    @pytest.fixture
    async def reader(self, store: InMemoryStore) -> InMemoryPartyHistoryReader:
        return InMemoryPartyHistoryReader(store)
