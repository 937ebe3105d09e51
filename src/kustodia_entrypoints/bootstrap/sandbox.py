"""The sandbox's controls over the test clock and the simulated rail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_domain.ports.rail_statement import RailDeposit


class MovableClock(Protocol):
    def now(self) -> datetime: ...

    def advance(self, delta: timedelta) -> datetime: ...


class SimulatedRailControls:
    """Implements the HTTP edge's ``SandboxControls`` over a movable clock and the sandbox rail."""

    def __init__(self, clock: MovableClock, rail: InMemoryPaymentRail) -> None:
        self._clock = clock
        self._rail = rail
        self._settled = 0

    def now(self) -> datetime:
        return self._clock.now()

    def advance(self, delta: timedelta) -> datetime:
        return self._clock.advance(delta)

    def take_sent_payouts(self) -> Sequence[str]:
        sent = self._rail.sent[self._settled :]
        self._settled += len(sent)
        return [order.payout_id for order in sent]

    def received(self, deposit: RailDeposit) -> None:
        self._rail.receive(deposit)
