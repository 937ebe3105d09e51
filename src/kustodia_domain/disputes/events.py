"""Past-tense events recorded by the dispute aggregate."""

from __future__ import annotations

import attrs

from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.money import Money


@attrs.frozen(kw_only=True)
class DisputeOpened(DomainEvent):
    escrow_id: str
    opened_by: str
    reason: str


@attrs.frozen(kw_only=True)
class DisputeMessagePosted(DomainEvent):
    message_id: str
    author_id: str


@attrs.frozen(kw_only=True)
class EvidenceAdded(DomainEvent):
    evidence_id: str
    uploaded_by: str
    sha256: str
    size_bytes: int


@attrs.frozen(kw_only=True)
class DisputeAssessed(DomainEvent):
    outcome: str
    model: str
    fallback_used: bool


@attrs.frozen(kw_only=True)
class ResolutionProposed(DomainEvent):
    resolution: str
    payee_amount: Money | None
    proposed_by: str


@attrs.frozen(kw_only=True)
class DisputeResolved(DomainEvent):
    resolution: str
    payee_amount: Money | None
    reason: str
    resolved_by: str
    approved_by: str | None
