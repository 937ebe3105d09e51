"""Dispute bodies, including the stored assessment."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.disputes.assessment import Assessment
from kustodia_domain.disputes.model import Dispute, Evidence, Message, ResolutionDecision
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.shared.money import BPS_WHOLE
from kustodia_entrypoints.http.wire import MinorUnits


@attrs.frozen(kw_only=True)
class OpenDisputeIn:
    reason: str
    details: str


@attrs.frozen(kw_only=True)
class MessageIn:
    body: str


@attrs.frozen(kw_only=True)
class ResolveIn:
    outcome: Resolution
    reason: str
    payee_amount: MinorUnits | None = None


@attrs.frozen(kw_only=True)
class MessageOut:
    id: str
    author_id: str
    author_role: str
    body: str
    posted_at: datetime

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            author_id=m.author_id,
            author_role=m.author_role,
            body=m.body,
            posted_at=m.posted_at,
        )


@attrs.frozen(kw_only=True)
class MessageList:
    items: list[MessageOut]


@attrs.frozen(kw_only=True)
class EvidenceOut:
    id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, e: Evidence) -> EvidenceOut:
        return cls(
            id=e.id,
            filename=e.filename,
            content_type=e.content_type,
            size_bytes=e.size_bytes,
            sha256=e.sha256,
            uploaded_by=e.uploaded_by,
            uploaded_at=e.uploaded_at,
        )


@attrs.frozen(kw_only=True)
class FactorOut:
    name: str
    weight: int
    detail: str


@attrs.frozen(kw_only=True)
class AssessmentOut:
    """``confidence`` is 0-1 (not money, so a fraction is fine); ``confidence_bps`` is exact."""

    outcome: str
    payee_share_bps: int
    confidence: float
    confidence_bps: int
    factors: list[FactorOut]
    summary: str
    model: str
    model_version: str
    fallback_used: bool
    created_at: datetime

    @classmethod
    def of(cls, a: Assessment) -> AssessmentOut:
        return cls(
            outcome=a.outcome.value,
            payee_share_bps=a.payee_share_bps,
            confidence=a.confidence_bps / BPS_WHOLE,
            confidence_bps=a.confidence_bps,
            factors=[FactorOut(name=f.name, weight=f.weight, detail=f.detail) for f in a.factors],
            summary=a.summary,
            model=a.model,
            model_version=a.model_version,
            fallback_used=a.fallback_used,
            created_at=a.created_at,
        )


@attrs.frozen(kw_only=True)
class DecisionOut:
    outcome: str
    payee_amount: int | None
    reason: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None

    @classmethod
    def of(cls, d: ResolutionDecision | None) -> DecisionOut | None:
        if d is None:
            return None
        return cls(
            outcome=d.resolution.value,
            payee_amount=None if d.payee_amount is None else d.payee_amount.amount_minor,
            reason=d.reason,
            proposed_by=d.proposed_by,
            proposed_at=d.proposed_at,
            approved_by=d.approved_by,
        )


@attrs.frozen(kw_only=True)
class DisputeOut:
    id: str
    escrow_id: str
    status: str
    payer_id: str
    payee_id: str
    opened_by: str
    reason: str
    details: str
    opened_at: datetime
    response_due_at: datetime
    messages: list[MessageOut]
    evidence: list[EvidenceOut]
    assessment: AssessmentOut | None
    proposal: DecisionOut | None
    resolution: DecisionOut | None

    @classmethod
    def of(cls, d: Dispute) -> DisputeOut:
        return cls(
            id=d.id,
            escrow_id=d.escrow_id,
            status=d.status.value,
            payer_id=d.payer_id,
            payee_id=d.payee_id,
            opened_by=d.opened_by,
            reason=d.reason,
            details=d.details,
            opened_at=d.opened_at,
            response_due_at=d.response_due_at,
            messages=[MessageOut.of(m) for m in d.messages],
            evidence=[EvidenceOut.of(e) for e in d.evidence],
            assessment=None if d.assessment is None else AssessmentOut.of(d.assessment),
            proposal=DecisionOut.of(d.proposal),
            resolution=DecisionOut.of(d.resolution),
        )
