"""Payout instructions: one per leg of money that leaves the platform.

A payout's ``idempotency_key`` is derived from the escrow id, the payout's ordinal in the
escrow and its attempt number, so a retried command or a re-sent instruction can never pay
twice. Status moves ``pending -> sent -> confirmed``; ``returned`` (a SPEI devolución) may follow
``sent`` or ``confirmed``, and a returned payout may be reissued as a new attempt.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from kustodia_domain.escrow.errors import PayoutStateError
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import PayoutId, UserId
from kustodia_domain.shared.money import Money


class PayoutLeg(StrEnum):
    """Why the money leaves."""

    IMMEDIATE = "immediate"
    """The non-custody share, paid to the payee at funding."""
    RELEASE = "release"
    """Custody released to the payee (deadline, approvals, milestone or resolution)."""
    COMMISSION = "commission"
    """A broker's commission, deducted from the payee's proceeds."""
    PLATFORM_FEE = "platform_fee"
    """The platform fee, swept to the platform's treasury account."""
    REFUND = "refund"
    """Custody or a cancelled escrow's deposits returned to their source CLABE."""
    EXCESS_REFUND = "excess_refund"
    """The part of a deposit beyond the amount due, returned to its source."""
    BOUNCE = "bounce"
    """A deposit the escrow could not accept (not awaiting funds), returned to its source."""
    PAYER_YIELD = "payer_yield"
    """The payer's 80 % of the yield accrued in custody."""
    PLATFORM_YIELD = "platform_yield"
    """The platform's share of the yield, swept to the treasury."""


class PayoutStatus(StrEnum):
    """Where a payout instruction is with the rail."""

    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    RETURNED = "returned"


@attrs.define(kw_only=True)
class Payout:
    """An instruction to pay ``amount`` to ``destination`` for ``beneficiary_id``.

    ``beneficiary_id`` is ``None`` for platform legs (fees and the platform's yield share).
    """

    id: PayoutId
    escrow_id: str
    ordinal: int
    leg: PayoutLeg
    beneficiary_id: UserId | None
    amount: Money
    destination: Clabe
    attempt: int = 1
    status: PayoutStatus = PayoutStatus.PENDING
    created_at: datetime
    updated_at: datetime
    rail_reference: str | None = None

    @property
    def idempotency_key(self) -> str:
        """Stable key for the rail: the same instruction always sends the same key."""
        return f"payout:{self.escrow_id}:{self.ordinal}:{self.attempt}"

    def debit_account(self) -> Account:
        """The ledger account the money leaves from when the rail confirms the payout."""
        currency = self.amount.currency
        if self.beneficiary_id is not None:
            return Account.payable(self.beneficiary_id, currency)
        if self.leg is PayoutLeg.PLATFORM_FEE:
            return Account.platform_fees(currency)
        return Account.platform_yield(currency)

    def mark_sent(self, at: datetime, rail_reference: str | None = None) -> None:
        """The rail accepted the instruction. Idempotent for a payout already sent."""
        if self.status is PayoutStatus.SENT:
            return
        self._require(PayoutStatus.PENDING, action="send")
        self.status, self.updated_at, self.rail_reference = PayoutStatus.SENT, at, rail_reference

    def mark_confirmed(self, at: datetime) -> None:
        """The rail confirmed settlement at the beneficiary's bank."""
        self._require(PayoutStatus.PENDING, PayoutStatus.SENT, action="confirm")
        self.status, self.updated_at = PayoutStatus.CONFIRMED, at

    def mark_returned(self, at: datetime) -> bool:
        """The receiving bank returned the money; returns whether it had been confirmed."""
        self._require(PayoutStatus.SENT, PayoutStatus.CONFIRMED, action="return")
        was_confirmed = self.status is PayoutStatus.CONFIRMED
        self.status, self.updated_at = PayoutStatus.RETURNED, at
        return was_confirmed

    def _require(self, *allowed: PayoutStatus, action: str) -> None:
        if self.status not in allowed:
            raise PayoutStateError(f"cannot {action} payout {self.id}: it is {self.status}")
