"""E-mail through the outbox: a stored notification becomes one ``email.send`` message.

The message is keyed by the notification's id, so enqueueing the same notification twice (a
retried command) queues one e-mail. The notification repository cannot read a notification by
id, so the payload carries the notification itself (id, user, kind, message, escrow, time) as
plain strings: the worker rebuilds it from the payload and never needs to read it back. The
payload holds no e-mail address; the worker looks the address up when it sends, so a user who
changed it meanwhile is written at the new one.

Call :func:`enqueue_emails` in the same unit of work that stores the notifications (see
``persist_escrow`` and ``persist_dispute``), so an e-mail is queued exactly when its in-app
notification is committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from kustodia_domain.ports.notifications import Notification
from kustodia_domain.ports.outbox import Outbox, OutboxMessage
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.time import ensure_utc

EMAIL_TOPIC = "email.send"


def email_key(notification_id: str) -> str:
    """The outbox key of the e-mail for ``notification_id``."""
    return f"{EMAIL_TOPIC}:{notification_id}"


def email_message(notification: Notification) -> OutboxMessage:
    """The outbox message that sends ``notification`` by e-mail to its user."""
    return OutboxMessage(
        key=email_key(notification.id),
        topic=EMAIL_TOPIC,
        payload={
            "notification_id": notification.id,
            "user_id": notification.user_id,
            "kind": notification.kind,
            "message": notification.message,
            "escrow_id": notification.escrow_id,
            "created_at": ensure_utc(notification.created_at).isoformat(),
        },
        created_at=notification.created_at,
    )


async def enqueue_emails(outbox: Outbox, notifications: Iterable[Notification]) -> int:
    """Queue one e-mail per notification in ``outbox``; returns how many were offered.

    Idempotent per notification: the outbox ignores a key it already holds.
    """
    count = 0
    for notification in notifications:
        await outbox.add(email_message(notification))
        count += 1
    return count


def _text(payload: Mapping[str, str | int | None], field: str) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"e-mail payload lacks {field}", field=field)
    return value


def notification_of(message: OutboxMessage) -> Notification:
    """The notification an ``email.send`` message carries.

    Raises:
        ValidationError: the message is of another topic or its payload is incomplete.
    """
    if message.topic != EMAIL_TOPIC:
        raise ValidationError(f"not an {EMAIL_TOPIC} message", field="topic")
    payload = message.payload
    escrow_id = payload.get("escrow_id")
    try:
        created_at = datetime.fromisoformat(_text(payload, "created_at"))
    except ValueError as error:
        raise ValidationError("e-mail payload has a bad created_at", field="created_at") from error
    return Notification(
        id=_text(payload, "notification_id"),
        user_id=_text(payload, "user_id"),
        kind=_text(payload, "kind"),
        message=_text(payload, "message"),
        escrow_id=escrow_id if isinstance(escrow_id, str) and escrow_id else None,
        created_at=ensure_utc(created_at, field="created_at"),
    )
