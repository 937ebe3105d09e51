"""The review queue's alerts: by id, by state (oldest first) and by screened event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.fraud import alert_from_row, alert_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import risk_alerts
from kustodia_adapters.sql.upserts import insert_or_replace
from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.ports.risk_history import AlertRepository

_a = risk_alerts.c


class SqlAlertRepository(AlertRepository):
    """``save`` inserts or replaces the whole alert (last write wins, as the port says)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, alert: Alert) -> None:
        async with own_transaction(self._engine) as transaction:
            await insert_or_replace(
                transaction, risk_alerts, alert_values(alert), key=("alert_id",)
            )

    async def get(self, alert_id: str) -> Alert | None:
        found = await self._all(select(risk_alerts).where(_a.alert_id == alert_id))
        return found[0] if found else None

    async def by_state(self, state: AlertState) -> Sequence[Alert]:
        query = (
            select(risk_alerts).where(_a.state == state.value).order_by(_a.raised_at, _a.alert_id)
        )
        return await self._all(query)

    async def for_event(self, event_id: str) -> Sequence[Alert]:
        """Oldest first."""
        query = (
            select(risk_alerts).where(_a.event_id == event_id).order_by(_a.raised_at, _a.alert_id)
        )
        return await self._all(query)

    async def _all(self, query: Select[Any]) -> list[Alert]:
        async with self._engine.connect() as connection:
            return [alert_from_row(row) for row in (await connection.execute(query)).mappings()]
