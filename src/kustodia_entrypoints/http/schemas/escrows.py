"""Escrow bodies. Amounts are integer minor units; the escrow's currency is given once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.schemas.common import plain
from kustodia_entrypoints.http.wire import MinorUnits, WholeNumber


@attrs.frozen(kw_only=True)
class CommissionIn:
    email: str
    percent_bps: WholeNumber


@attrs.frozen(kw_only=True)
class MilestoneIn:
    name: str
    share_bps: WholeNumber


@attrs.frozen(kw_only=True)
class CreateEscrowIn:
    kind: EscrowKind
    creator_role: CreatorRole
    counterparty_email: str
    amount: MinorUnits
    currency: str
    custody_percent: WholeNumber
    custody_days: WholeNumber
    description: str
    release_conditions: str = ""
    commissions: list[CommissionIn] = attrs.field(factory=list)
    milestones: list[MilestoneIn] = attrs.field(factory=list)

    def to_command(self, creator_id: str) -> OpenEscrow:
        return OpenEscrow(
            creator_id=UserId(creator_id),
            kind=self.kind,
            creator_role=self.creator_role,
            counterparty_email=self.counterparty_email,
            amount_minor=int(self.amount),
            currency=self.currency,
            custody_percent=int(self.custody_percent),
            custody_days=int(self.custody_days),
            description=self.description,
            release_conditions=self.release_conditions,
            commissions=tuple((c.email, int(c.percent_bps)) for c in self.commissions),
            milestones=tuple((m.name, int(m.share_bps)) for m in self.milestones),
        )


@attrs.frozen(kw_only=True)
class ApproveReleaseIn:
    milestone: str | None = None


@attrs.frozen(kw_only=True)
class FundingInstructionsOut:
    clabe: str
    reference: str
    amount_due: int


@attrs.frozen(kw_only=True)
class ApprovalsOut:
    payer: bool
    payee: bool


@attrs.frozen(kw_only=True)
class CommissionOut:
    broker_id: str
    percent_bps: int


@attrs.frozen(kw_only=True)
class PayoutOut:
    """A payout leg; the destination CLABE is masked to its last four digits."""

    id: str
    leg: str
    status: str
    amount: int
    beneficiary_id: str | None
    destination: str
    attempt: int


@attrs.frozen(kw_only=True)
class DepositOut:
    tracking_key: str
    amount: int
    applied: int
    excess: int
    source_clabe: str
    received_at: datetime


@attrs.frozen(kw_only=True)
class EscrowOut:
    id: str
    kind: str
    status: str
    created_by: str
    payer_id: str
    payee_id: str
    amount: int
    currency: str
    custody_percent: int
    custody_days: int
    amount_due: int
    platform_fee: int
    funded_amount: int
    custody_balance: int
    custody_ends_at: datetime | None
    funding_instructions: FundingInstructionsOut | None
    approvals: ApprovalsOut
    reference: str
    description: str
    release_conditions: str
    commissions: list[CommissionOut]
    funding_deadline: datetime | None
    funded_at: datetime | None
    settled_at: datetime | None
    dispute_id: str | None
    hold_reason: str | None
    needs_review: bool
    payouts: list[PayoutOut]
    deposits: list[DepositOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Escrow) -> EscrowOut:
        instructions = e.funding_instructions
        return cls(
            id=e.id,
            kind=e.kind.value,
            status=e.state.value,
            created_by=e.created_by.value,
            payer_id=e.payer_id,
            payee_id=e.payee_id,
            amount=e.terms.amount.amount_minor,
            currency=e.terms.amount.currency.code,
            custody_percent=e.terms.custody_percent,
            custody_days=e.terms.custody_days,
            amount_due=e.amount_due.amount_minor,
            platform_fee=e.fee.amount_minor,
            funded_amount=e.funded_amount.amount_minor,
            custody_balance=e.custody_balance.amount_minor,
            custody_ends_at=e.custody_ends_at,
            funding_instructions=None
            if instructions is None
            else FundingInstructionsOut(
                clabe=instructions.clabe.value,
                reference=instructions.reference,
                amount_due=instructions.amount_due.amount_minor,
            ),
            approvals=ApprovalsOut(payer=e.payer_approved, payee=e.payee_approved),
            reference=e.reference,
            description=e.terms.description,
            release_conditions=e.terms.release_conditions,
            commissions=[
                CommissionOut(broker_id=c.broker_id, percent_bps=c.bps) for c in e.terms.commissions
            ],
            funding_deadline=e.funding_deadline,
            funded_at=e.funded_at,
            settled_at=e.settled_at,
            dispute_id=e.dispute_id,
            hold_reason=e.hold_reason,
            needs_review=e.needs_review,
            payouts=[
                PayoutOut(
                    id=p.id,
                    leg=p.leg.value,
                    status=p.status.value,
                    amount=p.amount.amount_minor,
                    beneficiary_id=p.beneficiary_id,
                    destination=p.destination.masked(),
                    attempt=p.attempt,
                )
                for p in e.payouts
            ],
            deposits=[
                DepositOut(
                    tracking_key=d.tracking_key,
                    amount=d.amount.amount_minor,
                    applied=d.applied.amount_minor,
                    excess=d.excess.amount_minor,
                    source_clabe=d.source_clabe.masked(),
                    received_at=d.received_at,
                )
                for d in e.deposits
            ],
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


@attrs.frozen(kw_only=True)
class EscrowPage:
    items: list[EscrowOut]
    limit: int
    offset: int

    @classmethod
    def of(cls, escrows: Sequence[Escrow], limit: int, offset: int) -> EscrowPage:
        return cls(items=[EscrowOut.of(e) for e in escrows], limit=limit, offset=offset)


@attrs.frozen(kw_only=True)
class EventOut:
    """A timeline entry: the event's name and its fields (ledger movements left out)."""

    sequence: int
    type: str
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, event: DomainEvent) -> EventOut:
        skip = {"aggregate_id", "sequence", "occurred_at", "transfers"}
        data = {
            f.name: plain(getattr(event, f.name))
            for f in attrs.fields(type(event))
            if f.name not in skip
        }
        return cls(
            sequence=event.sequence, type=event.name, occurred_at=event.occurred_at, data=data
        )


@attrs.frozen(kw_only=True)
class EventList:
    items: list[EventOut]


@attrs.frozen(kw_only=True)
class PostingOut:
    account: str
    amount: int
    """Signed minor units: positive debits, negative credits."""
    currency: str


@attrs.frozen(kw_only=True)
class LedgerTransactionOut:
    key: str
    description: str
    occurred_at: datetime
    postings: list[PostingOut]

    @classmethod
    def of(cls, t: LedgerTransaction) -> LedgerTransactionOut:
        return cls(
            key=t.key,
            description=t.description,
            occurred_at=t.occurred_at,
            postings=[
                PostingOut(
                    account=p.account.code,
                    amount=p.amount.amount_minor,
                    currency=p.amount.currency.code,
                )
                for p in t.postings
            ],
        )


@attrs.frozen(kw_only=True)
class LedgerList:
    items: list[LedgerTransactionOut]
