"""The payment rail: stable deposit CLABEs, and at most one payment per idempotency key."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence

import pytest

from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_domain.ports.payment_rail import PaymentRail, PayoutOrder, RailPayoutStatus
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.money import Money
from tests.contract.builders import PAYEE, PAYER, PAYOUT_CLABE


def order(payout_id: str = "esc_1-p1", *, attempt: int = 1) -> PayoutOrder:
    return PayoutOrder(
        payout_id=payout_id,
        idempotency_key=f"payout:esc_1:1:{attempt}",
        amount=Money.mxn(50_000),
        destination=PAYOUT_CLABE,
        concept="Kustodia 1000001",
    )


class PaymentRailContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def rail(self) -> PaymentRail:
        """The rail under test, talking to a sandbox."""

    @abstractmethod
    def executed(self, rail: PaymentRail) -> Sequence[PayoutOrder]:
        """The orders the sandbox actually paid, as the provider reports them."""

    async def test_a_user_always_gets_the_same_deposit_clabe(self, rail: PaymentRail) -> None:
        first = await rail.issue_deposit_clabe(PAYER)
        again = await rail.issue_deposit_clabe(PAYER)
        other = await rail.issue_deposit_clabe(PAYEE)

        assert first == again
        assert other != first

    async def test_a_repeated_idempotency_key_returns_the_first_receipt_and_pays_once(
        self, rail: PaymentRail
    ) -> None:
        first = await rail.send_payout(order())
        again = await rail.send_payout(order())

        assert again == first
        assert first.payout_id == "esc_1-p1"
        assert [o.idempotency_key for o in self.executed(rail)] == ["payout:esc_1:1:1"]

    async def test_concurrent_sends_with_one_key_pay_once(self, rail: PaymentRail) -> None:
        receipts = await asyncio.gather(*(rail.send_payout(order()) for _ in range(5)))

        assert len(set(receipts)) == 1
        assert len(self.executed(rail)) == 1

    async def test_a_new_attempt_with_a_new_key_is_paid(self, rail: PaymentRail) -> None:
        await rail.send_payout(order("esc_1-p1"))
        await rail.send_payout(order("esc_1-p1-a2", attempt=2))

        assert len(self.executed(rail)) == 2

    async def test_the_rail_knows_the_payouts_it_was_sent_and_no_others(
        self, rail: PaymentRail
    ) -> None:
        receipt = await rail.send_payout(order())

        assert await rail.payout_status("esc_1-p1") in {
            RailPayoutStatus.ACCEPTED,
            RailPayoutStatus.CONFIRMED,
        }
        assert receipt.status is not RailPayoutStatus.UNKNOWN
        assert await rail.payout_status("esc_9-p9") is RailPayoutStatus.UNKNOWN


class TestInMemoryPaymentRail(PaymentRailContract):
    @pytest.fixture
    async def rail(self) -> InMemoryPaymentRail:
        return InMemoryPaymentRail()

    def executed(self, rail: PaymentRail) -> Sequence[PayoutOrder]:
        assert isinstance(rail, InMemoryPaymentRail)
        return rail.sent

    async def test_deposit_clabes_are_stp_clabes_numbered_in_order(
        self, rail: InMemoryPaymentRail
    ) -> None:
        first = await rail.issue_deposit_clabe(PAYER)
        second = await rail.issue_deposit_clabe(PAYEE)

        assert first.value.startswith("646180")
        assert (first.value[6:17], second.value[6:17]) == ("00000000001", "00000000002")

    async def test_settling_changes_what_the_rail_reports(self, rail: InMemoryPaymentRail) -> None:
        await rail.send_payout(order())
        rail.settle("esc_1-p1", RailPayoutStatus.RETURNED)

        assert await rail.payout_status("esc_1-p1") is RailPayoutStatus.RETURNED
        with pytest.raises(NotFoundError):
            rail.settle("esc_9-p9", RailPayoutStatus.CONFIRMED)
