"""Webhook deliveries already consumed: the primary key makes recording once-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import webhook_receipts
from kustodia_domain.ports.webhooks import WebhookReceipts

_receipts = webhook_receipts.c


class SqlWebhookReceipts(WebhookReceipts):
    """One statement per call, each in a transaction of its own.

    ``seen`` is a primary-key ``SELECT``; ``first_seen`` is one ``INSERT ... ON CONFLICT DO
    NOTHING RETURNING``.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def seen(self, key: str) -> bool:
        async with own_transaction(self._engine) as transaction:
            query = select(_receipts.key).where(_receipts.key == key)
            return (await transaction.execute(query)).first() is not None

    async def first_seen(self, key: str, at: datetime) -> bool:
        async with own_transaction(self._engine) as transaction:
            statement = (
                transaction.dialect.upsert(webhook_receipts)
                .values(key=key, first_seen_at=at)
                .on_conflict_do_nothing(index_elements=[_receipts.key])
                .returning(_receipts.key)
            )
            return (await transaction.execute(statement)).first() is not None
