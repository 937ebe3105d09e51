"""A sandbox SPEI rail: deterministic deposit CLABEs and payouts executed at most once per key."""

from __future__ import annotations

import hashlib
from datetime import datetime

from kustodia_adapters.in_memory.clock import SystemClock
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.payment_rail import (
    PaymentRail,
    PayoutOrder,
    PayoutReceipt,
    RailPayoutStatus,
)
from kustodia_domain.ports.rail_statement import RailDeposit
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError

SANDBOX_BANK_CODE = "646"
"""STP's bank code, which rail providers use for virtual deposit CLABEs."""
SANDBOX_PLAZA = "180"
_ACCOUNTS = 10**11


class InMemoryPaymentRail(PaymentRail):
    """Executes nothing; records every executed order in ``sent`` (once per idempotency key).

    Deposit CLABEs are numbered in the order users ask for them, so a test run is reproducible.
    ``settle`` plays the rail's later word on a payout (confirmed or returned), and ``receive``
    notes a deposit the sandbox delivered; with the times read from ``clock`` (the wall clock by
    default) they make the rail's statement (``InMemoryRailStatement``).
    """

    def __init__(self, clock: Clock | None = None, *, stable_clabes: bool = False) -> None:
        """``stable_clabes`` derives each user's CLABE from their id instead of numbering them.

        Numbered CLABEs start again at one in every process, so a sandbox whose users are
        stored in a database (and outlive the process) needs the stable ones.
        """
        self.clock: Clock = clock or SystemClock()
        self._stable = stable_clabes
        self.sent: list[PayoutOrder] = []
        self.received: list[RailDeposit] = []
        self.times: dict[str, tuple[datetime, datetime]] = {}
        """When each executed payout was created and when its status last changed."""
        self._clabes: dict[str, Clabe] = {}
        self._receipts: dict[str, PayoutReceipt] = {}
        self._statuses: dict[str, RailPayoutStatus] = {}

    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        clabe = self._clabes.get(user_id)
        if clabe is None:
            account = _account_of(user_id) if self._stable else str(len(self._clabes) + 1)
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
        now = self.clock.now()
        self.times[order.payout_id] = (now, now)
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
        created, _ = self.times[payout_id]
        self.times[payout_id] = (created, self.clock.now())

    def receive(self, deposit: RailDeposit) -> None:
        """Note a deposit the rail received (the sandbox's simulated transfers)."""
        self.received.append(deposit)

    def receipt(self, payout_id: str) -> PayoutReceipt | None:
        """The receipt of the executed payout ``payout_id``, if any."""
        return next((r for r in self._receipts.values() if r.payout_id == payout_id), None)


def _account_of(user_id: str) -> str:
    digest = hashlib.sha256(user_id.encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % _ACCOUNTS)
