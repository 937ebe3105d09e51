"""A sandbox SPEI rail: deterministic deposit CLABEs and payouts executed at most once per key."""

from __future__ import annotations

from kustodia_domain.ports.payment_rail import (
    PaymentRail,
    PayoutOrder,
    PayoutReceipt,
    RailPayoutStatus,
)
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError

SANDBOX_BANK_CODE = "646"
"""STP's bank code, which rail providers use for virtual deposit CLABEs."""
SANDBOX_PLAZA = "180"


class InMemoryPaymentRail(PaymentRail):
    """Executes nothing; records every executed order in ``sent`` (once per idempotency key).

    Deposit CLABEs are numbered in the order users ask for them, so a test run is reproducible.
    ``settle`` plays the rail's later word on a payout (confirmed or returned).
    """

    def __init__(self) -> None:
        self.sent: list[PayoutOrder] = []
        self._clabes: dict[str, Clabe] = {}
        self._receipts: dict[str, PayoutReceipt] = {}
        self._statuses: dict[str, RailPayoutStatus] = {}

    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        clabe = self._clabes.get(user_id)
        if clabe is None:
            account = str(len(self._clabes) + 1)
            clabe = Clabe.build(SANDBOX_BANK_CODE, SANDBOX_PLAZA, account)
            self._clabes[user_id] = clabe
        return clabe

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        receipt = self._receipts.get(order.idempotency_key)
        if receipt is not None:
            # A retry: like a real provider, answer with the first receipt and pay nothing.
            return receipt
        self.sent.append(order)
        receipt = PayoutReceipt(
            payout_id=order.payout_id,
            rail_reference=f"SBX{len(self.sent):010d}",
            status=RailPayoutStatus.ACCEPTED,
        )
        self._receipts[order.idempotency_key] = receipt
        self._statuses[order.payout_id] = receipt.status
        return receipt

    async def payout_status(self, payout_id: str) -> RailPayoutStatus:
        return self._statuses.get(payout_id, RailPayoutStatus.UNKNOWN)

    def settle(self, payout_id: str, status: RailPayoutStatus) -> None:
        """Set what the rail reports for a payout it executed.

        Raises:
            NotFoundError: the rail never executed ``payout_id``.
        """
        if payout_id not in self._statuses:
            raise NotFoundError("payout", payout_id)
        self._statuses[payout_id] = status
