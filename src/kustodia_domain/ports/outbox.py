"""The outbox: work for the outside world, committed with the state change that caused it."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.shared.immutable import immutable


@immutable
@attrs.frozen(kw_only=True)
class OutboxMessage:
    """A unit of outside work (send a payout, request an assessment, send an e-mail).

    ``key`` is unique: adding a message whose key exists is a no-op, so a retried command never
    enqueues the same work twice. ``payload`` holds plain strings and integers.
    """

    key: str
    topic: str
    payload: Mapping[str, str | int | None]
    created_at: datetime


class Outbox(Protocol):
    """Pending outside work."""

    @abstractmethod
    async def add(self, message: OutboxMessage) -> None:
        """Enqueue ``message`` unless its key is already there."""

    @abstractmethod
    async def pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Messages not yet dispatched, oldest first."""

    @abstractmethod
    async def mark_dispatched(self, key: str, at: datetime) -> None:
        """Record that the message was handled."""
