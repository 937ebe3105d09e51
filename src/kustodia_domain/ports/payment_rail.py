"""The SPEI payment rail: deposit CLABEs and payouts. Called outside database transactions."""

from __future__ import annotations

from abc import abstractmethod
from enum import StrEnum
from typing import Protocol

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money


class RailPayoutStatus(StrEnum):
    """What the rail says about a payout."""

    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    RETURNED = "returned"
    UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class PayoutOrder:
    """A payout to send; the rail must execute one order per ``idempotency_key`` at most."""

    payout_id: str
    idempotency_key: str
    amount: Money
    destination: Clabe
    concept: str


@attrs.frozen(kw_only=True)
class PayoutReceipt:
    """The rail's acknowledgement of an order."""

    payout_id: str
    rail_reference: str
    status: RailPayoutStatus


class PaymentRail(Protocol):
    """A bank-rail provider."""

    @abstractmethod
    async def issue_deposit_clabe(self, user_id: str) -> Clabe:
        """The user's virtual deposit CLABE; the same user always gets the same CLABE."""

    @abstractmethod
    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        """Send ``order``; a repeated idempotency key returns the first receipt."""

    @abstractmethod
    async def payout_status(self, payout_id: str) -> RailPayoutStatus:
        """The rail's view of a payout."""
