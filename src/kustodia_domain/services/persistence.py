"""Persisting an aggregate's changes inside a unit of work, the same way for every handler.

For an escrow: each money event becomes one ledger transaction (idempotent key), each scheduled
payout becomes an outbox message, each notable event notifies the people concerned (in the app,
and by e-mail through an ``email.send`` outbox message), and every event goes to the event log.
Then the aggregate is saved with its optimistic version check.
"""

from __future__ import annotations

from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.events import PayoutScheduled
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.postings import ledger_transaction_for
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.email_outbox import enqueue_emails
from kustodia_domain.services.notify import dispute_notifications, escrow_notifications

PAYOUT_TOPIC = "payout.send"
ASSESSMENT_TOPIC = "dispute.assess"


async def persist_escrow(
    uow: UnitOfWork, escrow: Escrow, ids: IdGenerator, *, new: bool = False
) -> None:
    """Write ``escrow`` and everything its pending events imply, inside ``uow``.

    The aggregate is saved first, so a lost race surfaces as ``ConcurrencyConflictError``. A
    command that recorded no event changed nothing, and nothing is written (a replayed
    confirmation does not even bump the version).
    """
    events = escrow.pull_events()
    if not events and not new:
        return
    if new:
        await uow.escrows.add(escrow)
    else:
        await uow.escrows.save(escrow)
    for event in events:
        transaction = ledger_transaction_for(event)
        if transaction is not None:
            await uow.ledger.post(transaction)
        if isinstance(event, PayoutScheduled):
            await uow.outbox.add(
                OutboxMessage(
                    key=f"{PAYOUT_TOPIC}:{event.payout_id}",
                    topic=PAYOUT_TOPIC,
                    payload={"escrow_id": escrow.id, "payout_id": event.payout_id},
                    created_at=event.occurred_at,
                )
            )
    notifications = list(escrow_notifications(escrow, events, ids))
    for notification in notifications:
        await uow.notifications.add(notification)
    await enqueue_emails(uow.outbox, notifications)
    await uow.events.append(events)


async def persist_dispute(
    uow: UnitOfWork, dispute: Dispute, ids: IdGenerator, *, new: bool = False
) -> None:
    """Write ``dispute`` with its events and notifications inside ``uow`` (aggregate first)."""
    events = dispute.pull_events()
    if new:
        await uow.disputes.add(dispute)
    else:
        await uow.disputes.save(dispute)
    notifications = list(dispute_notifications(dispute, events, ids))
    for notification in notifications:
        await uow.notifications.add(notification)
    await enqueue_emails(uow.outbox, notifications)
    await uow.events.append(events)
