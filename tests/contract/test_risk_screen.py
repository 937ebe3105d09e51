"""The risk screen: a decision for every event, never an exception for a verdict."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.fraud.screening import Outcome, RiskEvent
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.shared.money import Money
from tests.contract.builders import PAYER, T0


def event(event_id: str = "evt_1") -> RiskEvent:
    return RiskEvent(
        event_id=event_id,
        kind="escrow.create",
        occurred_at=T0,
        actor_id=PAYER,
        escrow_id="esc_1",
        amount=Money.mxn(100_000),
        attributes={"payer_id": PAYER},
    )


class RiskScreenContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def screen(self) -> RiskScreen:
        """The risk screen under test, with an empty history."""

    async def test_every_event_gets_a_decision_about_that_event(self, screen: RiskScreen) -> None:
        decision = await screen.screen(event("evt_42"))

        assert decision.event_id == "evt_42"
        assert isinstance(decision.outcome, Outcome)


class TestAllowAllRiskScreen(RiskScreenContract):
    @pytest.fixture
    async def screen(self) -> AllowAllRiskScreen:
        return AllowAllRiskScreen()

    async def test_it_allows_everything_and_records_what_it_saw(
        self, screen: AllowAllRiskScreen
    ) -> None:
        decision = await screen.screen(event())

        assert (decision.outcome, decision.fired) == (Outcome.ALLOW, ())
        assert screen.screened == [event()]
