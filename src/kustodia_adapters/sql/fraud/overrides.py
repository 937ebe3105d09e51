"""Override requests of hold/block decisions: by id and by screened event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.fraud import override_from_row, override_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import risk_overrides
from kustodia_adapters.sql.upserts import insert_or_replace
from kustodia_domain.fraud.overrides import Override
from kustodia_domain.ports.risk_history import OverrideRepository

_o = risk_overrides.c


class SqlOverrideRepository(OverrideRepository):
    """``save`` inserts or replaces; the table refuses an override decided by its requester."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, override: Override) -> None:
        async with own_transaction(self._engine) as transaction:
            await insert_or_replace(
                transaction, risk_overrides, override_values(override), key=("override_id",)
            )

    async def get(self, override_id: str) -> Override | None:
        found = await self._all(select(risk_overrides).where(_o.override_id == override_id))
        return found[0] if found else None

    async def for_event(self, event_id: str) -> Sequence[Override]:
        """Oldest first."""
        query = (
            select(risk_overrides)
            .where(_o.event_id == event_id)
            .order_by(_o.requested_at, _o.override_id)
        )
        return await self._all(query)

    async def for_escrow(self, escrow_id: str) -> Sequence[Override]:
        """Oldest first (ties by id)."""
        query = (
            select(risk_overrides)
            .where(_o.escrow_id == escrow_id)
            .order_by(_o.requested_at, _o.override_id)
        )
        return await self._all(query)

    async def _all(self, query: Select[Any]) -> list[Override]:
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings()
            return [override_from_row(row) for row in rows]
