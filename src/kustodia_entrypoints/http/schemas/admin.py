"""Back-office bodies."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.audit.chain import AuditEntry
from kustodia_domain.fraud.alerts import Alert
from kustodia_domain.identity.model import KycLevel, User
from kustodia_domain.ports.outbox import DeadLetter
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.services.analytics import Analytics
from kustodia_entrypoints.http.schemas.common import MoneyOut


@attrs.frozen(kw_only=True)
class HoldIn:
    reason: str


@attrs.frozen(kw_only=True)
class KycLevelIn:
    kyc_level: KycLevel


@attrs.frozen(kw_only=True)
class ReissueIn:
    destination: str | None = None


@attrs.frozen(kw_only=True)
class AlertResolutionIn:
    note: str = ""


@attrs.frozen(kw_only=True)
class AnalyticsOut:
    """GMV (escrow amounts funded) and revenue (fees and the platform's yield share) apart."""

    gmv: MoneyOut
    fee_revenue: MoneyOut
    yield_revenue: MoneyOut
    escrows_total: int
    counts_by_status: dict[str, int]
    funded_escrows: int
    disputed_escrows: int
    dispute_rate_bps: int
    average_custody_hours: int | None

    @classmethod
    def of(cls, a: Analytics) -> AnalyticsOut:
        return cls(
            gmv=MoneyOut.of(a.gmv),
            fee_revenue=MoneyOut.of(a.fee_revenue),
            yield_revenue=MoneyOut.of(a.yield_revenue),
            escrows_total=a.escrows_total,
            counts_by_status=dict(a.escrows_by_status),
            funded_escrows=a.funded_escrows,
            disputed_escrows=a.disputed_escrows,
            dispute_rate_bps=a.dispute_rate_bps,
            average_custody_hours=a.average_custody_hours,
        )


@attrs.frozen(kw_only=True)
class AdminUserOut:
    id: str
    email: str
    full_name: str
    role: str
    kyc_level: str
    has_payout_account: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> AdminUserOut:
        return cls(
            id=u.id,
            email=u.email,
            full_name=u.full_name,
            role=u.role.value,
            kyc_level=u.kyc_level.value,
            has_payout_account=u.payout_account is not None,
            created_at=u.created_at,
        )


@attrs.frozen(kw_only=True)
class AdminUserPage:
    items: list[AdminUserOut]
    limit: int
    offset: int


@attrs.frozen(kw_only=True)
class AlertOut:
    id: str
    event_id: str
    event_kind: str
    escrow_id: str | None
    party_ids: list[str]
    outcome: str
    score: int
    rule_ids: list[str]
    ruleset: str
    state: str
    raised_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    note: str

    @classmethod
    def of(cls, a: Alert) -> AlertOut:
        return cls(
            id=a.alert_id,
            event_id=a.event_id,
            event_kind=a.event_kind,
            escrow_id=a.escrow_id,
            party_ids=list(a.party_ids),
            outcome=a.outcome.label,
            score=a.score,
            rule_ids=list(a.rule_ids),
            ruleset=a.ruleset,
            state=a.state.value,
            raised_at=a.raised_at,
            resolved_by=a.resolved_by,
            resolved_at=a.resolved_at,
            note=a.note,
        )


@attrs.frozen(kw_only=True)
class AlertList:
    items: list[AlertOut]


@attrs.frozen(kw_only=True)
class UnmatchedDepositOut:
    """A deposit held in suspense; the sender's CLABE is masked."""

    tracking_key: str
    clabe: str
    reference: str
    amount: int
    currency: str
    source_clabe: str
    sender_name: str
    received_at: datetime

    @classmethod
    def of(cls, d: UnmatchedDeposit) -> UnmatchedDepositOut:
        return cls(
            tracking_key=d.tracking_key,
            clabe=d.clabe,
            reference=d.reference,
            amount=d.amount.amount_minor,
            currency=d.amount.currency.code,
            source_clabe=d.source_clabe.masked(),
            sender_name=d.sender_name,
            received_at=d.received_at,
        )


@attrs.frozen(kw_only=True)
class UnmatchedDepositList:
    items: list[UnmatchedDepositOut]


@attrs.frozen(kw_only=True)
class DeadLetterOut:
    """An outbox message given up on after its last attempt (its payload stays in the store)."""

    key: str
    topic: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime

    @classmethod
    def of(cls, d: DeadLetter) -> DeadLetterOut:
        return cls(
            key=d.message.key,
            topic=d.message.topic,
            state=d.state.value,
            attempts=d.attempts,
            last_error=d.last_error,
            created_at=d.message.created_at,
            dead_at=d.dead_at,
        )


@attrs.frozen(kw_only=True)
class DeadLetterList:
    items: list[DeadLetterOut]


@attrs.frozen(kw_only=True)
class AuditEntryOut:
    sequence: int
    at: datetime
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, str | int | bool | None]
    previous_hash: str
    hash: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryOut:
        r = e.record
        return cls(
            sequence=e.sequence,
            at=r.at,
            actor_id=r.actor_id,
            action=r.action,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            details=dict(r.details),
            previous_hash=e.previous_hash,
            hash=e.hash,
        )


@attrs.frozen(kw_only=True)
class AuditPage:
    items: list[AuditEntryOut]
    limit: int
    offset: int


@attrs.frozen(kw_only=True)
class AuditCheckOut:
    ok: bool
    checked: int
    first_broken: int | None
