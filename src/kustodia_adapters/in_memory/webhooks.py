"""Webhook deliveries already consumed, in a set."""

from __future__ import annotations

from datetime import datetime

from kustodia_domain.ports.webhooks import WebhookReceipts


class InMemoryWebhookReceipts(WebhookReceipts):
    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    async def seen(self, key: str) -> bool:
        return key in self._seen

    async def first_seen(self, key: str, at: datetime) -> bool:
        # No await between the check and the insert: atomic on the event loop.
        if key in self._seen:
            return False
        self._seen[key] = at
        return True
