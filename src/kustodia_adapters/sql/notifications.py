"""In-app notifications, newest first per user."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import notifications
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.ports.notifications import Notification, NotificationRepository

_notifications = notifications.c


class SqlNotificationRepository(NotificationRepository):
    """Ties in time go to the notification stored last.

    ``add`` queues the row for write-behind (sent with the unit's other pending rows);
    ``list_for_user`` is one statement, after sending what is pending.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, notification: Notification) -> None:
        """A notification whose id exists makes the flush (``commit``) raise ``ConflictError``."""
        row = {
            "id": notification.id,
            "user_id": notification.user_id,
            "kind": notification.kind,
            "message": notification.message,
            "escrow_id": notification.escrow_id,
            "created_at": notification.created_at,
            "read": notification.read,
        }
        self._transaction().pending.append(notifications, [row])

    async def list_for_user(self, user_id: str, *, limit: int) -> Sequence[Notification]:
        query = (
            select(notifications)
            .where(_notifications.user_id == user_id)
            .order_by(_notifications.created_at.desc(), _notifications.seq.desc())
            .limit(limit)
        )
        transaction = self._transaction()
        if transaction.pending.holds(notifications):
            await flush(transaction)
        rows = (await transaction.execute(query)).mappings()
        return [
            Notification(
                id=row["id"],
                user_id=row["user_id"],
                kind=row["kind"],
                message=row["message"],
                escrow_id=row["escrow_id"],
                created_at=row["created_at"],
                read=row["read"],
            )
            for row in rows
        ]
