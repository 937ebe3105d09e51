"""Replay protection for signed webhooks: each signature is accepted once."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class WebhookReceipts(Protocol):
    """Remembers which webhook signatures were already accepted."""

    @abstractmethod
    async def first_seen(self, key: str, at: datetime) -> bool:
        """Record ``key``; ``True`` only the first time (atomic insert-if-absent)."""
