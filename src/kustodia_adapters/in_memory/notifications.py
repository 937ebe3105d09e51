"""In-app notifications (stored in the unit of work) and a notifier that records deliveries."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState
from kustodia_domain.ports.notifications import Notification, NotificationRepository, Notifier
from kustodia_domain.shared.errors import ConflictError


def _add(state: StoreState, notification: Notification) -> None:
    if notification.id in state.notifications:
        raise ConflictError(f"notification {notification.id} already exists")
    state.notifications[notification.id] = notification


class InMemoryNotificationRepository(NotificationRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, notification: Notification) -> None:
        """Notifications are frozen, so they are stored as given.

        Raises:
            ConflictError: a notification with this id exists.
        """
        self._transaction().write(lambda state: _add(state, notification))

    async def list_for_user(self, user_id: str, *, limit: int) -> Sequence[Notification]:
        stored = self._transaction().state.notifications.values()
        # Reversed insertion order first, then a stable sort: ties go to the one added last.
        mine = [n for n in reversed(list(stored)) if n.user_id == user_id]
        return sorted(mine, key=lambda n: n.created_at, reverse=True)[:limit]


@attrs.frozen(kw_only=True)
class Delivery:
    """One e-mail the notifier was asked to send."""

    email: str
    notification: Notification


class RecordingNotifier(Notifier):
    """Delivers nothing; keeps every delivery in ``delivered`` for tests to read."""

    def __init__(self) -> None:
        self.delivered: list[Delivery] = []

    async def deliver(self, notification: Notification, email: str) -> None:
        self.delivered.append(Delivery(email=email, notification=notification))
