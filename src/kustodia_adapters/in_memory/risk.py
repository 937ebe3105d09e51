"""A risk screen that allows everything, for setups without the fraud engine."""

from __future__ import annotations

from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent
from kustodia_domain.ports.risk import RiskScreen


class AllowAllRiskScreen(RiskScreen):
    """Allows every event and keeps it in ``screened``, as the port asks screens to record."""

    def __init__(self) -> None:
        self.screened: list[RiskEvent] = []

    async def screen(self, event: RiskEvent) -> RiskDecision:
        self.screened.append(event)
        return RiskDecision(event_id=event.event_id, outcome=Outcome.ALLOW)
