"""The audit records commands write in their own unit of work.

Each handler adds its record to ``uow.audit`` before it commits, so the record is committed
with the change it describes, or not at all (see :mod:`kustodia_domain.ports.audit`). These
functions say what each record holds; the handlers say when.
"""

from __future__ import annotations

from datetime import datetime

from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.disputes.assessment import Assessment
from kustodia_domain.disputes.model import Dispute, Evidence, Message, ResolutionDecision
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.support.model import Reply, Ticket, TicketStatus


def escrow_changed(action: str, actor_id: str, escrow: Escrow, at: datetime) -> AuditRecord:
    """A party's command on an escrow, with the state it left the escrow in."""
    return AuditRecord(
        actor_id=actor_id,
        action=action,
        subject_type="escrow",
        subject_id=escrow.id,
        at=at,
        details={"status": escrow.state.value},
    )


def escrow_opened(actor_id: str, escrow: Escrow, at: datetime) -> AuditRecord:
    """An escrow opened by ``actor_id``, with its amount (minor units)."""
    return AuditRecord(
        actor_id=actor_id,
        action="escrow.opened",
        subject_type="escrow",
        subject_id=escrow.id,
        at=at,
        details={"status": escrow.state.value, "amount": escrow.terms.amount.amount_minor},
    )


def payout_noticed(action: str, payout_id: str, escrow: Escrow, at: datetime) -> AuditRecord:
    """The rail's notice about a payout changed it (``payout.confirmed``, ``payout.returned``)."""
    return AuditRecord(
        actor_id=None,
        action=action,
        subject_type="payout",
        subject_id=payout_id,
        at=at,
        details={"escrow_id": escrow.id, "escrow_status": escrow.state.value},
    )


def user_registered(user: User, at: datetime) -> AuditRecord:
    """A new user; the actor is the user."""
    return AuditRecord(
        actor_id=user.id, action="user.registered", subject_type="user", subject_id=user.id, at=at
    )


def payout_account_changed(user: User, at: datetime) -> AuditRecord:
    """The user set a payout account. The CLABE stays out of the trail: who and when matter."""
    return AuditRecord(
        actor_id=user.id,
        action="user.payout_account_changed",
        subject_type="user",
        subject_id=user.id,
        at=at,
    )


def dispute_opened(actor_id: str, dispute: Dispute, at: datetime) -> AuditRecord:
    """A dispute opened on its escrow."""
    return AuditRecord(
        actor_id=actor_id,
        action="dispute.opened",
        subject_type="dispute",
        subject_id=dispute.id,
        at=at,
        details={"escrow_id": dispute.escrow_id},
    )


def dispute_message_posted(actor_id: str, dispute: Dispute, message: Message) -> AuditRecord:
    """A message in a dispute (its text stays out of the trail), at the time it was posted."""
    return AuditRecord(
        actor_id=actor_id,
        action="dispute.message_posted",
        subject_type="dispute",
        subject_id=dispute.id,
        at=message.posted_at,
        details={"message_id": message.id},
    )


def evidence_added(actor_id: str, dispute: Dispute, evidence: Evidence) -> AuditRecord:
    """Evidence added to a dispute, with the hash that pins its bytes."""
    return AuditRecord(
        actor_id=actor_id,
        action="dispute.evidence_added",
        subject_type="dispute",
        subject_id=dispute.id,
        at=evidence.uploaded_at,
        details={"evidence_id": evidence.id, "sha256": evidence.sha256},
    )


def escrow_held(admin_id: str, escrow: Escrow, reason: str, at: datetime) -> AuditRecord:
    """An admin put the escrow on hold, with the reason given."""
    return AuditRecord(
        actor_id=admin_id,
        action="escrow.held",
        subject_type="escrow",
        subject_id=escrow.id,
        at=at,
        details={"reason": reason},
    )


def escrow_hold_cleared(admin_id: str, escrow: Escrow, at: datetime) -> AuditRecord:
    """An admin cleared the hold they (or another admin) placed."""
    return AuditRecord(
        actor_id=admin_id,
        action="escrow.hold_cleared",
        subject_type="escrow",
        subject_id=escrow.id,
        at=at,
    )


def dispute_assessed(
    requested_by: str | None, dispute: Dispute, assessment: Assessment, at: datetime
) -> AuditRecord:
    """An assessment stored on a dispute; no actor when the worker asked for it."""
    return AuditRecord(
        actor_id=requested_by,
        action="dispute.assessed",
        subject_type="dispute",
        subject_id=dispute.id,
        at=at,
        details={"outcome": assessment.outcome.value, "model": assessment.model},
    )


def resolution_proposed(
    admin_id: str, dispute: Dispute, decision: ResolutionDecision, at: datetime
) -> AuditRecord:
    """An admin's resolution, with the dispute's status after it.

    The status says whether it settled or waits for a second admin; ``payee_amount`` is the
    payee's share of a split, in minor units (None otherwise).
    """
    payee_amount = decision.payee_amount
    return AuditRecord(
        actor_id=admin_id,
        action="dispute.resolution_proposed",
        subject_type="dispute",
        subject_id=dispute.id,
        at=at,
        details={
            "resolution": decision.resolution.value,
            "payee_amount": None if payee_amount is None else payee_amount.amount_minor,
            "status": dispute.status.value,
            "reason": decision.reason,
        },
    )


def resolution_approved(admin_id: str, dispute: Dispute, at: datetime) -> AuditRecord:
    """The second admin approved a pending high-value resolution."""
    return AuditRecord(
        actor_id=admin_id,
        action="dispute.resolution_approved",
        subject_type="dispute",
        subject_id=dispute.id,
        at=at,
        details={"status": dispute.status.value},
    )


def payout_reissued(
    requested_by: str | None, payout_id: str, escrow: Escrow, *, new_destination: bool, at: datetime
) -> AuditRecord:
    """A returned payout sent again (``payout_id`` names the attempt reissued)."""
    return AuditRecord(
        actor_id=requested_by,
        action="payout.reissued",
        subject_type="payout",
        subject_id=payout_id,
        at=at,
        details={"escrow_id": escrow.id, "new_destination": new_destination},
    )


def ticket_replied(staff_id: str, ticket: Ticket, reply: Reply) -> AuditRecord:
    """Staff answered a ticket (the text stays out of the trail), with the status it left."""
    return AuditRecord(
        actor_id=staff_id,
        action="ticket.replied",
        subject_type="ticket",
        subject_id=ticket.id,
        at=reply.posted_at,
        details={"status": ticket.status.value, "reply_id": reply.id},
    )


def ticket_status_changed(
    admin_id: str, ticket: Ticket, previous: TicketStatus, at: datetime
) -> AuditRecord:
    """An admin moved a ticket from ``previous`` to its current status."""
    return AuditRecord(
        actor_id=admin_id,
        action="ticket.status_changed",
        subject_type="ticket",
        subject_id=ticket.id,
        at=at,
        details={"from": previous.value, "to": ticket.status.value},
    )
