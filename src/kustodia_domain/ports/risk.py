"""The risk-screen port: the fraud engine (or an allow-everything stand-in) plugs in here."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol

from kustodia_domain.fraud.screening import RiskDecision, RiskEvent


class RiskScreen(Protocol):
    """Evaluates a ``RiskEvent`` and returns a ``RiskDecision``; never raises for a verdict."""

    @abstractmethod
    async def screen(self, event: RiskEvent) -> RiskDecision:
        """Screen ``event``. Implementations record the event in their history."""
