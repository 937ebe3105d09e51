"""Which events notify whom, and with what message."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from kustodia_domain.disputes import events as dispute_events
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow import events as ev
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.shared.events import DomainEvent

# (event type, kind, who: "both" | "payer" | "payee" | "counterparty", message template)
_ESCROW_RULES: dict[type[ev.EscrowEvent], tuple[str, str, str]] = {
    ev.EscrowOpened: ("escrow_opened", "both", "Escrow {ref} was opened."),
    ev.PaymentRequestAccepted: ("request_accepted", "both", "Payment request {ref} accepted."),
    ev.DepositReceived: ("deposit_received", "both", "A deposit for escrow {ref} arrived."),
    ev.DepositBounced: ("deposit_bounced", "payer", "A deposit for escrow {ref} was returned."),
    ev.EscrowFunded: ("escrow_funded", "both", "Escrow {ref} is funded and in custody."),
    ev.ReleaseApproved: ("release_approved", "both", "A release of escrow {ref} was approved."),
    ev.FundsReleased: ("funds_released", "both", "Escrow {ref} was released to the seller."),
    ev.EscrowRefunded: ("escrow_refunded", "both", "Escrow {ref} was refunded to the buyer."),
    ev.EscrowSplit: ("escrow_split", "both", "Escrow {ref} was split between the parties."),
    ev.EscrowDisputed: ("escrow_disputed", "both", "Escrow {ref} is in dispute."),
    ev.EscrowPutOnHold: ("escrow_on_hold", "both", "Escrow {ref} is on hold for review."),
    ev.EscrowHoldCleared: ("hold_cleared", "both", "The hold on escrow {ref} was cleared."),
    ev.EscrowCancelled: ("escrow_cancelled", "both", "Escrow {ref} was cancelled."),
    ev.EscrowExpired: ("escrow_expired", "both", "Escrow {ref} expired unfunded."),
    ev.EscrowCompleted: ("escrow_completed", "both", "Escrow {ref} is complete."),
    ev.ReleaseReminderDue: (
        "release_reminder",
        "both",
        "Escrow {ref} passed its deadline: both parties must approve.",
    ),
}


def _recipients(escrow: Escrow, who: str) -> tuple[str, ...]:
    return {
        "both": (escrow.payer_id, escrow.payee_id),
        "payer": (escrow.payer_id,),
        "payee": (escrow.payee_id,),
    }[who]


def escrow_notifications(
    escrow: Escrow, events: Iterable[ev.EscrowEvent], ids: IdGenerator
) -> Iterator[Notification]:
    """In-app notifications for the parties of ``escrow`` about ``events``."""
    for event in events:
        rule = _ESCROW_RULES.get(type(event))
        if rule is None:
            continue
        kind, who, template = rule
        for user in _recipients(escrow, who):
            yield Notification(
                id=ids.new_id("ntf"),
                user_id=user,
                kind=kind,
                message=template.format(ref=escrow.reference),
                escrow_id=escrow.id,
                created_at=event.occurred_at,
            )


def dispute_notifications(
    dispute: Dispute, events: Sequence[DomainEvent], ids: IdGenerator
) -> Iterator[Notification]:
    """Both parties hear of every dispute event except their own messages."""
    kinds = {
        dispute_events.DisputeOpened: "dispute_opened",
        dispute_events.DisputeMessagePosted: "dispute_message",
        dispute_events.EvidenceAdded: "dispute_evidence",
        dispute_events.DisputeResolved: "dispute_resolved",
    }
    for event in events:
        kind = kinds.get(type(event))
        if kind is None:
            continue
        actor = getattr(event, "author_id", None) or getattr(event, "uploaded_by", None)
        for user in (dispute.payer_id, dispute.payee_id):
            if user != actor:
                yield Notification(
                    id=ids.new_id("ntf"),
                    user_id=user,
                    kind=kind,
                    message=f"Dispute {dispute.id}: {kind.replace('_', ' ')}.",
                    escrow_id=dispute.escrow_id,
                    created_at=event.occurred_at,
                )
