"""Contract of the back office's reads: escrow search, summaries, users, ledger credits, outcomes.

The reads see what units of work committed. The in-memory adapter runs the suite here, the SQL
adapters in ``test_sql_back_office.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

import pytest

from kustodia_adapters.in_memory.back_office import InMemoryBackOfficeReads
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.escrow.events import RiskScreened
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import EscrowKind
from kustodia_domain.ledger.accounts import Account, AccountKind
from kustodia_domain.ledger.transactions import LedgerTransaction, TransactionBuilder
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter, EscrowSummary
from kustodia_domain.shared.money import MXN, MXNB, Currency, Money
from tests.contract.builders import (
    BROKER,
    PAYEE,
    PAYER,
    T0,
    UnitOfWorkFactory,
    escrow,
    fund,
    user,
)

HOUR = timedelta(hours=1)


def _fee(
    key: str, escrow_id: str, amount: int, currency: Currency, description: str
) -> LedgerTransaction:
    """``amount`` moves from the escrow's custody to the platform's fees."""
    built = (
        TransactionBuilder(key=key, occurred_at=T0, description=description, escrow_id=escrow_id)
        .debit(Account.custody(escrow_id, currency), Money(amount, currency))
        .credit(Account.platform_fees(currency), Money(amount, currency))
        .build()
    )
    assert built is not None
    return built


def _screened(escrow_id: str, sequence: int, outcome: str) -> RiskScreened:
    return RiskScreened(
        aggregate_id=escrow_id,
        sequence=sequence,
        occurred_at=T0,
        operation="escrow.fund",
        outcome=outcome,
        score=10,
        rules=("r1",),
        ruleset="sha",
    )


class BackOfficeReadsContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store, used to write what is read."""

    @pytest.fixture
    @abstractmethod
    async def reads(self) -> BackOfficeReads:
        """The reads under test, over the same store as ``new_uow``."""

    @pytest.fixture
    async def escrows(self, new_uow: UnitOfWorkFactory) -> None:
        """esc_1 awaiting funds; esc_2 funded with a broker; esc_3 dual approval in review."""
        first = escrow("esc_1", reference="1000001", at=T0)
        second = fund(escrow("esc_2", reference="1000002", brokers=[BROKER], at=T0 + HOUR))
        third = escrow("esc_3", reference="1000003", payer="usr_other", at=T0 + 2 * HOUR)
        third.kind = EscrowKind.DUAL_APPROVAL
        third.needs_review = True
        async with new_uow() as uow:
            for each in (first, second, third):
                await uow.escrows.add(each)
            await uow.commit()

    @pytest.mark.usefixtures("escrows")
    async def test_escrows_are_searched_newest_first_by_every_criterion(
        self, reads: BackOfficeReads
    ) -> None:
        async def ids(**criteria: Any) -> list[str]:
            return [e.id for e in await reads.search_escrows(EscrowFilter(**criteria))]

        assert await ids() == ["esc_3", "esc_2", "esc_1"]
        assert await ids(limit=1, offset=1) == ["esc_2"]
        assert await ids(status=EscrowState.FUNDED) == ["esc_2"]
        assert await ids(party_id=PAYER) == ["esc_2", "esc_1"]
        assert await ids(party_id=PAYEE, limit=1) == ["esc_3"]
        assert await ids(party_id=BROKER) == ["esc_2"]
        assert await ids(party_id="usr_nobody") == []
        assert await ids(reference="1000002") == ["esc_2"]
        assert await ids(kind=EscrowKind.DUAL_APPROVAL) == ["esc_3"]
        assert await ids(needs_review=True) == ["esc_3"]
        assert await ids(needs_review=False) == ["esc_2", "esc_1"]
        assert await ids(created_from=T0 + HOUR) == ["esc_3", "esc_2"]
        assert await ids(created_to=T0 + HOUR) == ["esc_1"]
        assert await ids(party_id=PAYER, status=EscrowState.AWAITING_FUNDS) == ["esc_1"]

    @pytest.mark.usefixtures("escrows")
    async def test_a_found_escrow_is_the_escrow_as_stored(
        self, new_uow: UnitOfWorkFactory, reads: BackOfficeReads
    ) -> None:
        (found,) = await reads.search_escrows(EscrowFilter(reference="1000002"))
        async with new_uow() as uow:
            stored = await uow.escrows.get("esc_2")

        assert found == stored

    @pytest.mark.usefixtures("escrows")
    async def test_every_escrow_has_a_summary(
        self, new_uow: UnitOfWorkFactory, reads: BackOfficeReads
    ) -> None:
        async with new_uow() as uow:
            stored = [await uow.escrows.get(f"esc_{n}") for n in (1, 2, 3)]

        summaries = await reads.escrow_summaries()

        assert sorted(summaries, key=lambda s: s.id) == [EscrowSummary.of(e) for e in stored]

    async def test_users_are_searched_by_email_or_name_oldest_first(
        self, new_uow: UnitOfWorkFactory, reads: BackOfficeReads
    ) -> None:
        ana = user("usr_ana", email="ana.lopez@example.mx", created_at=T0)
        ana.full_name = "Ana LOPEZ Soto"
        bruno = user("usr_bruno", email="bruno@correo.mx", created_at=T0 + HOUR)
        bruno.full_name = "Bruno 100% Diaz"
        carla = user("usr_carla", email="carla@example.mx", created_at=T0 - HOUR)
        async with new_uow() as uow:
            for each in (ana, bruno, carla):
                await uow.users.add(each)
            await uow.commit()

        async def ids(text: str | None, limit: int = 10, offset: int = 0) -> list[str]:
            found = await reads.search_users(text=text, limit=limit, offset=offset)
            return [u.id for u in found]

        assert await ids(None) == ["usr_carla", "usr_ana", "usr_bruno"]
        assert await ids("  ", limit=2, offset=1) == ["usr_ana", "usr_bruno"]
        assert await ids("EXAMPLE.MX") == ["usr_carla", "usr_ana"]
        assert await ids("lopez s") == ["usr_ana"]
        assert await ids("100%") == ["usr_bruno"]
        assert await ids("ana_lopez") == []

    async def test_ledger_credits_count_credits_of_one_kind_by_the_events_that_caused_them(
        self, new_uow: UnitOfWorkFactory, reads: BackOfficeReads
    ) -> None:
        cash_in = TransactionBuilder(key="in", occurred_at=T0, description="DepositReceived")
        for currency, amount in ((MXN, 100_000), (MXNB, 5_000_000)):
            cash_in.debit(Account.rail_cash(currency), Money(amount, currency))
            cash_in.credit(Account.custody("esc_1", currency), Money(amount, currency))
        deposit = cash_in.build()
        assert deposit is not None
        sweep = (
            TransactionBuilder(key="sweep", occurred_at=T0, description="FeesSwept")
            .debit(Account.platform_fees(MXN), Money.mxn(500))
            .credit(Account.rail_cash(MXN), Money.mxn(500))
            .build()
        )
        assert sweep is not None
        async with new_uow() as uow:
            for transaction in (
                deposit,
                _fee("f1", "esc_1", 1_000, MXN, "FundsReleased"),
                _fee("f2", "esc_1", 250, MXN, "EscrowSplit"),
                _fee("f3", "esc_1", 30_000, MXNB, "FundsReleased"),
                _fee("f4", "esc_1", 70, MXN, "SomethingElse"),
                sweep,
            ):
                await uow.ledger.post(transaction)
            await uow.commit()

        earned = await reads.ledger_credits(
            AccountKind.PLATFORM_FEES, frozenset({"FundsReleased", "EscrowSplit", "FeesSwept"})
        )

        assert earned == {"MXN": 1_250, "MXNB": 30_000}
        assert await reads.ledger_credits(AccountKind.PLATFORM_FEES, frozenset()) == {}

    async def test_screening_outcomes_count_the_risk_decisions_recorded_on_escrows(
        self, new_uow: UnitOfWorkFactory, reads: BackOfficeReads
    ) -> None:
        opened = escrow("esc_1")
        async with new_uow() as uow:
            await uow.events.append(opened.pull_events())
            await uow.events.append(
                [
                    _screened("esc_1", 2, "allow"),
                    _screened("esc_1", 3, "hold"),
                    _screened("esc_2", 1, "allow"),
                ]
            )
            await uow.commit()

        assert await reads.screening_outcomes() == {"allow": 2, "hold": 1}


class TestInMemoryBackOfficeReads(BackOfficeReadsContract):
    @pytest.fixture
    async def store(self) -> InMemoryStore:
        return InMemoryStore()

    @pytest.fixture
    async def new_uow(self, store: InMemoryStore) -> UnitOfWorkFactory:
        return lambda: InMemoryUnitOfWork(store)

    @pytest.fixture
    async def reads(self, store: InMemoryStore) -> BackOfficeReads:
        return InMemoryBackOfficeReads(store)
