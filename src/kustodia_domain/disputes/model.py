"""The ``Dispute`` aggregate.

Invariants:
    * opened only by a party of the escrow (the use case also requires the escrow be funded);
    * messages and evidence come only from the parties or admins, and both parties see all;
    * a resolved dispute takes nothing more; a resolution at or above the high-value threshold
      takes effect only when a second admin, different from the proposer, approves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs

from kustodia_domain.disputes.assessment import Assessment
from kustodia_domain.disputes.errors import (
    DisputeClosedError,
    FourEyesError,
    NotADisputePartyError,
)
from kustodia_domain.disputes.events import (
    DisputeAssessed,
    DisputeMessagePosted,
    DisputeOpened,
    DisputeResolved,
    EvidenceAdded,
    ResolutionProposed,
)
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.ids import DisputeId, EscrowId, UserId
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money
from kustodia_domain.shared.time import ensure_utc

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
ALLOWED_EVIDENCE_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/webp", "text/plain"}
)


class DisputeStatus(StrEnum):
    """Where the dispute is."""

    OPEN = "open"
    AWAITING_SECOND_APPROVAL = "awaiting_second_approval"
    RESOLVED = "resolved"


def _text(value: str, field: str, limit: int) -> str:
    if not value.strip() or len(value) > limit:
        raise ValidationError(f"{field} must be 1-{limit} characters", field=field)
    return value


@immutable
@attrs.frozen(kw_only=True)
class Message:
    """A message in the dispute thread."""

    id: str
    author_id: UserId
    author_role: str
    body: str
    posted_at: datetime


@immutable
@attrs.frozen(kw_only=True)
class Evidence:
    """Metadata of an uploaded file; the bytes live in the blob store under ``blob_key``."""

    id: str
    uploaded_by: UserId
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    blob_key: str
    uploaded_at: datetime

    def __attrs_post_init__(self) -> None:
        if self.content_type not in ALLOWED_EVIDENCE_TYPES:
            raise ValidationError(
                f"evidence type {self.content_type} is not accepted", field="file"
            )
        if not 0 < self.size_bytes <= MAX_EVIDENCE_BYTES:
            raise ValidationError("evidence must be 1 byte to 10 MiB", field="file")
        _text(self.filename, "filename", 255)


@immutable
@attrs.frozen(kw_only=True)
class ResolutionDecision:
    """A resolution as proposed (and, when final, approved)."""

    resolution: Resolution
    payee_amount: Money | None
    reason: str
    proposed_by: UserId
    proposed_at: datetime
    approved_by: UserId | None = None


@attrs.define(kw_only=True)
class Dispute:
    """A dispute over one escrow's custody (see the module docstring for invariants)."""

    id: DisputeId
    escrow_id: EscrowId
    payer_id: UserId
    payee_id: UserId
    opened_by: UserId
    reason: str
    details: str
    opened_at: datetime
    response_due_at: datetime
    status: DisputeStatus = DisputeStatus.OPEN
    messages: list[Message] = attrs.field(factory=list)
    evidence: list[Evidence] = attrs.field(factory=list)
    assessment: Assessment | None = None
    proposal: ResolutionDecision | None = None
    resolution: ResolutionDecision | None = None
    event_sequence: int = 0
    version: int = 0
    pending_events: list[DomainEvent] = attrs.field(factory=list, eq=False, repr=False)

    @classmethod
    def open(
        cls,
        *,
        dispute_id: DisputeId,
        escrow_id: EscrowId,
        payer_id: UserId,
        payee_id: UserId,
        opened_by: UserId,
        reason: str,
        details: str,
        at: datetime,
        response_window: timedelta,
    ) -> Dispute:
        """Open a dispute; the other party must respond within ``response_window``.

        Raises:
            NotADisputePartyError: ``opened_by`` is not the payer or the payee.
            ValidationError: reason (1-200) or details (1-5000) empty or too long.
        """
        if opened_by not in (payer_id, payee_id):
            raise NotADisputePartyError("only a party can open a dispute")
        at = ensure_utc(at)
        dispute = cls(
            id=dispute_id,
            escrow_id=escrow_id,
            payer_id=payer_id,
            payee_id=payee_id,
            opened_by=opened_by,
            reason=_text(reason, "reason", 200),
            details=_text(details, "details", 5_000),
            opened_at=at,
            response_due_at=at + response_window,
        )
        dispute._record(
            DisputeOpened, at, escrow_id=escrow_id, opened_by=opened_by, reason=dispute.reason
        )
        return dispute

    def role_of(self, user_id: str, *, is_admin: bool) -> str | None:
        """``payer``, ``payee``, ``admin`` or ``None`` for an outsider."""
        if user_id == self.payer_id:
            return "payer"
        if user_id == self.payee_id:
            return "payee"
        return "admin" if is_admin else None

    def post_message(
        self, *, message_id: str, author_id: UserId, is_admin: bool, body: str, at: datetime
    ) -> Message:
        """Add a message from a party or an admin."""
        role = self._participant(author_id, is_admin=is_admin)
        message = Message(
            id=message_id,
            author_id=author_id,
            author_role=role,
            body=_text(body, "body", 5_000),
            posted_at=ensure_utc(at),
        )
        self.messages.append(message)
        self._record(DisputeMessagePosted, at, message_id=message_id, author_id=author_id)
        return message

    def add_evidence(self, evidence: Evidence, *, is_admin: bool) -> None:
        """Attach evidence metadata from a party or an admin."""
        self._participant(evidence.uploaded_by, is_admin=is_admin)
        self.evidence.append(evidence)
        self._record(
            EvidenceAdded,
            evidence.uploaded_at,
            evidence_id=evidence.id,
            uploaded_by=evidence.uploaded_by,
            sha256=evidence.sha256,
            size_bytes=evidence.size_bytes,
        )

    def record_assessment(self, assessment: Assessment) -> None:
        """Store the latest assessment (advisory) with its model and fallback flag."""
        self._require_open()
        self.assessment = assessment
        self._record(
            DisputeAssessed,
            assessment.created_at,
            outcome=assessment.outcome.value,
            model=assessment.model,
            fallback_used=assessment.fallback_used,
        )

    def propose_resolution(
        self, decision: ResolutionDecision, *, needs_second_admin: bool
    ) -> ResolutionDecision | None:
        """Propose a resolution.

        Returns:
            The decision when it is final now, ``None`` when it awaits a second admin.
        """
        self._require_open()
        _text(decision.reason, "reason", 2_000)
        if needs_second_admin:
            self.proposal = decision
            self.status = DisputeStatus.AWAITING_SECOND_APPROVAL
            self._record(
                ResolutionProposed,
                decision.proposed_at,
                resolution=decision.resolution.value,
                payee_amount=decision.payee_amount,
                proposed_by=decision.proposed_by,
            )
            return None
        self._resolve(decision)
        return decision

    def approve_resolution(self, admin_id: UserId, at: datetime) -> ResolutionDecision:
        """A second admin approves the pending proposal, which becomes final.

        Raises:
            FourEyesError: nothing awaits approval, or the approver proposed it.
        """
        if self.status is not DisputeStatus.AWAITING_SECOND_APPROVAL or self.proposal is None:
            raise FourEyesError("no resolution awaits a second approval")
        if admin_id == self.proposal.proposed_by:
            raise FourEyesError("the second approval must come from a different admin")
        decision = attrs.evolve(self.proposal, approved_by=admin_id)
        self.proposal = None
        self._resolve(decision, at)
        return decision

    def _resolve(self, decision: ResolutionDecision, at: datetime | None = None) -> None:
        self.resolution = decision
        self.status = DisputeStatus.RESOLVED
        self._record(
            DisputeResolved,
            at or decision.proposed_at,
            resolution=decision.resolution.value,
            payee_amount=decision.payee_amount,
            reason=decision.reason,
            resolved_by=decision.proposed_by,
            approved_by=decision.approved_by,
        )

    def _participant(self, user_id: UserId, *, is_admin: bool) -> str:
        self._require_open()
        role = self.role_of(user_id, is_admin=is_admin)
        if role is None:
            raise NotADisputePartyError(f"user {user_id} is not part of dispute {self.id}")
        return role

    def _require_open(self) -> None:
        if self.status is DisputeStatus.RESOLVED:
            raise DisputeClosedError(f"dispute {self.id} is resolved")

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the events recorded since the last pull."""
        events, self.pending_events = self.pending_events, []
        return events

    def _record(self, event_type: type[DomainEvent], at: datetime, **fields: Any) -> None:
        self.event_sequence += 1
        self.pending_events.append(
            event_type(
                aggregate_id=self.id,
                sequence=self.event_sequence,
                occurred_at=ensure_utc(at),
                **fields,
            )
        )
