"""Replay protection for signed webhooks: a delivery is consumed once.

Callers record a key only after the delivery's effect committed, so a delivery that failed
leaves no key behind and its retry is accepted (see ``RailEvents``).
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class WebhookReceipts(Protocol):
    """Remembers which webhook deliveries (signatures, event ids) were already consumed."""

    @abstractmethod
    async def seen(self, key: str) -> bool:
        """Whether ``key`` was recorded; reads only, so asking changes nothing."""

    @abstractmethod
    async def first_seen(self, key: str, at: datetime) -> bool:
        """Record ``key``; ``True`` only the first time (atomic insert-if-absent)."""
