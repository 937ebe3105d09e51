"""The ledger: idempotent by key, never overdrawn, balanced, tagged by escrow."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import NegativeBalanceError
from kustodia_domain.shared.errors import IdempotencyConflictError
from kustodia_domain.shared.money import MXN
from tests.contract.builders import PAYEE, UnitOfWorkFactory, deposit_into, transfer

CASH = Account.rail_cash(MXN)
CUSTODY = Account.custody("esc_1", MXN)
PAYABLE = Account.payable(PAYEE, MXN)


class LedgerContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_a_posted_transaction_moves_both_balances(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            assert await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1")) is True
            await uow.commit()

        async with new_uow() as uow:
            assert await uow.ledger.balance(CASH) == 10_000
            assert await uow.ledger.balance(CUSTODY) == 10_000
            assert await uow.ledger.balance(PAYABLE) == 0

    async def test_the_same_key_with_the_same_postings_is_a_no_op(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
            await uow.commit()

        async with new_uow() as uow:
            assert await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1")) is False
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.ledger.balance(CUSTODY) == 10_000
            assert len(await uow.ledger.transactions_for_escrow("esc_1")) == 1

    async def test_the_same_key_with_other_postings_is_a_conflict_and_writes_nothing(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
            await uow.commit()

        with pytest.raises(IdempotencyConflictError):
            async with new_uow() as uow:
                await uow.ledger.post(deposit_into("esc_1", 9_999, key="dep-1"))
        async with new_uow() as uow:
            assert await uow.ledger.balance(CUSTODY) == 10_000

    async def test_the_same_key_and_postings_for_another_escrow_is_a_conflict(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        # A transfer bounced from two escrows moves the same amounts between the same accounts
        # (rail cash to the payer's refund): the tag is what tells the second one apart.
        async with new_uow() as uow:
            await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1", escrow_id="esc_1"))
            await uow.commit()

        with pytest.raises(IdempotencyConflictError):
            async with new_uow() as uow:
                await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1", escrow_id="esc_2"))
        with pytest.raises(IdempotencyConflictError):
            async with new_uow() as uow:
                await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1"))
        async with new_uow() as uow:
            assert await uow.ledger.transactions_for_escrow("esc_2") == []
            assert (
                await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1", escrow_id="esc_1"))
                is False
            )

    async def test_a_key_queued_in_the_unit_for_another_escrow_is_a_conflict(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1", escrow_id="esc_1"))
            with pytest.raises(IdempotencyConflictError):
                await uow.ledger.post(transfer(CASH, PAYABLE, 500, key="dep-1", escrow_id="esc_2"))

    async def test_an_overdraft_is_refused_and_writes_nothing(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
            await uow.commit()

        with pytest.raises(NegativeBalanceError) as refused:
            async with new_uow() as uow:
                await uow.ledger.post(
                    transfer(CUSTODY, PAYABLE, 10_001, key="release", escrow_id="esc_1")
                )
        assert refused.value.account == CUSTODY
        async with new_uow() as uow:
            assert await uow.ledger.balance(CUSTODY) == 10_000
            assert await uow.ledger.balance(PAYABLE) == 0
            assert [t.key for t in await uow.ledger.transactions_for_escrow("esc_1")] == ["dep-1"]
            # The refused key stays free: the corrected transaction can still use it.
            assert await uow.ledger.post(
                transfer(CUSTODY, PAYABLE, 10_000, key="release", escrow_id="esc_1")
            )

    async def test_signed_totals_always_sum_to_zero(self, new_uow: UnitOfWorkFactory) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
            await uow.ledger.post(deposit_into("esc_2", 2_500, key="dep-2"))
            await uow.ledger.post(transfer(CUSTODY, PAYABLE, 4_000, key="rel-1"))
            await uow.ledger.post(transfer(PAYABLE, CASH, 4_000, key="paid-1"))
            await uow.commit()

        async with new_uow() as uow:
            totals = await uow.ledger.signed_totals()
        assert sum(totals.values()) == 0
        assert totals[CASH] == 8_500
        assert totals[CUSTODY] == -6_000

    async def test_an_escrows_transactions_come_back_oldest_first(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.ledger.post(deposit_into("esc_1", 10_000, key="first"))
            await uow.ledger.post(deposit_into("esc_2", 10_000, key="other escrow"))
            await uow.ledger.post(transfer(CUSTODY, PAYABLE, 1, key="second", escrow_id="esc_1"))
            await uow.ledger.post(transfer(CASH, CUSTODY, 1, key="untagged"))
            await uow.commit()

        async with new_uow() as uow:
            history = await uow.ledger.transactions_for_escrow("esc_1")
        assert [t.key for t in history] == ["first", "second"]

    async def test_an_account_never_posted_to_holds_zero(self, new_uow: UnitOfWorkFactory) -> None:
        async with new_uow() as uow:
            assert await uow.ledger.balance(Account.suspense(MXN)) == 0


class TestInMemoryLedger(LedgerContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
