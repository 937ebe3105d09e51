"""In-app notifications (stored with the state change) and the e-mail notifier port."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.shared.immutable import immutable


@immutable
@attrs.frozen(kw_only=True)
class Notification:
    """A message to one user about one escrow or dispute event."""

    id: str
    user_id: str
    kind: str
    message: str
    escrow_id: str | None
    created_at: datetime
    read: bool = False


class NotificationRepository(Protocol):
    """Notifications per user."""

    @abstractmethod
    async def add(self, notification: Notification) -> None:
        """Store a notification."""

    @abstractmethod
    async def list_for_user(self, user_id: str, *, limit: int) -> Sequence[Notification]:
        """The user's notifications, newest first."""


class Notifier(Protocol):
    """Delivers a notification outside the platform (e-mail); called by the worker only."""

    @abstractmethod
    async def deliver(self, notification: Notification, email: str) -> None:
        """Send ``notification`` to ``email``."""
