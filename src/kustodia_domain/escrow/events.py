"""Past-tense events recorded by the escrow aggregate.

Events that move money carry their ``transfers``: the exact ledger movements (debit account,
credit account, amount). :func:`kustodia_domain.escrow.postings.ledger_transaction_for` turns
them into one balanced ledger transaction keyed by the escrow id and the event's sequence.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


@immutable
@attrs.frozen
class Transfer:
    """Move ``amount`` by debiting ``debit`` and crediting ``credit``."""

    debit: Account
    credit: Account
    amount: Money


@attrs.frozen(kw_only=True)
class EscrowEvent(DomainEvent):
    """Base of escrow events."""

    transfers: tuple[Transfer, ...] = ()


@attrs.frozen(kw_only=True)
class EscrowOpened(EscrowEvent):
    kind: str
    created_by: str
    payer_id: str
    payee_id: str
    amount: Money
    fee: Money
    amount_due: Money
    custody_percent: int
    custody_days: int
    reference: str


@attrs.frozen(kw_only=True)
class PaymentRequestAccepted(EscrowEvent):
    accepted_by: str


@attrs.frozen(kw_only=True)
class DepositReceived(EscrowEvent):
    tracking_key: str
    amount: Money
    applied: Money
    excess: Money
    funded_total: Money


@attrs.frozen(kw_only=True)
class DepositBounced(EscrowEvent):
    tracking_key: str
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class EscrowFunded(EscrowEvent):
    funded_at: datetime
    custody_ends_at: datetime
    custody_amount: Money
    immediate_amount: Money
    fee: Money


@attrs.frozen(kw_only=True)
class ReleaseApproved(EscrowEvent):
    party: str
    milestone: str | None


@attrs.frozen(kw_only=True)
class MilestoneReleased(EscrowEvent):
    milestone: str
    amount: Money


@attrs.frozen(kw_only=True)
class FundsReleased(EscrowEvent):
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class EscrowRefunded(EscrowEvent):
    amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class EscrowSplit(EscrowEvent):
    payee_amount: Money
    payer_amount: Money
    reason: str


@attrs.frozen(kw_only=True)
class EscrowPutOnHold(EscrowEvent):
    reason: str


@attrs.frozen(kw_only=True)
class EscrowHoldCleared(EscrowEvent):
    cleared_by: str


@attrs.frozen(kw_only=True)
class EscrowDisputed(EscrowEvent):
    dispute_id: str
    opened_by: str


@attrs.frozen(kw_only=True)
class YieldAccrued(EscrowEvent):
    amount: Money
    through: date


@attrs.frozen(kw_only=True)
class YieldDistributed(EscrowEvent):
    payer_amount: Money
    platform_amount: Money


@attrs.frozen(kw_only=True)
class EscrowCancelled(EscrowEvent):
    cancelled_by: str
    refunded: Money


@attrs.frozen(kw_only=True)
class EscrowExpired(EscrowEvent):
    refunded: Money


@attrs.frozen(kw_only=True)
class PayoutScheduled(EscrowEvent):
    payout_id: str
    leg: str
    beneficiary_id: str | None
    amount: Money
    idempotency_key: str


@attrs.frozen(kw_only=True)
class PayoutSent(EscrowEvent):
    payout_id: str


@attrs.frozen(kw_only=True)
class PayoutConfirmed(EscrowEvent):
    payout_id: str


@attrs.frozen(kw_only=True)
class PayoutReturned(EscrowEvent):
    payout_id: str


@attrs.frozen(kw_only=True)
class EscrowFlaggedForReview(EscrowEvent):
    reason: str


@attrs.frozen(kw_only=True)
class EscrowCompleted(EscrowEvent):
    pass


@attrs.frozen(kw_only=True)
class ReleaseReminderDue(EscrowEvent):
    custody_ends_at: datetime


@attrs.frozen(kw_only=True)
class RiskScreened(EscrowEvent):
    """The risk screen evaluated an operation on this escrow (visible in its timeline)."""

    operation: str
    outcome: str
    score: int
    rules: tuple[str, ...]
    ruleset: str
    event_id: str | None = None
    """The screened event: alerts and overrides name it."""
    override_id: str | None = None
    """An approved override that lifted this ``hold``/``block`` (the outcome stays as decided)."""


@attrs.frozen(kw_only=True)
class RiskOverrideRequested(EscrowEvent):
    """An admin asked to lift a ``hold``/``block`` decision about this escrow."""

    override_id: str
    event_id: str
    original_outcome: str
    requested_by: str
    justification: str


@attrs.frozen(kw_only=True)
class RiskOverrideDecided(EscrowEvent):
    """A second admin approved (``approved``) or rejected (``rejected``) the override."""

    override_id: str
    state: str
    decided_by: str
    reason: str


SETTLEMENT_EVENTS = (FundsReleased, EscrowRefunded, EscrowSplit)
"""Exactly one of these is ever recorded per escrow."""
