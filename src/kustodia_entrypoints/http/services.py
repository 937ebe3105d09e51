"""What the composition root hands the HTTP edge: use cases and a few edge services."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from kustodia_domain.ports.rail_statement import RailDeposit
from kustodia_domain.services.use_cases import UseCases


class SandboxControls(Protocol):
    """The test clock and the simulated rail, present only in sandbox and development."""

    def now(self) -> datetime:
        """The test clock's time."""

    def advance(self, delta: timedelta) -> datetime:
        """Move the test clock forward; returns the new time."""

    def take_sent_payouts(self) -> Sequence[str]:
        """Ids of payouts the simulated rail executed since the last call."""

    def received(self, deposit: RailDeposit) -> None:
        """Note a simulated deposit on the rail's statement (what reconciliation reads)."""


@attrs.frozen(kw_only=True)
class Readiness:
    """Whether the service can take traffic, with one line per check."""

    ready: bool
    checks: Mapping[str, str]


class ReadinessProbe(Protocol):
    """Checks the database (reachable, schema at the latest migration)."""

    async def check(self) -> Readiness:
        """Run the checks; never raises."""


@attrs.frozen(kw_only=True)
class HttpServices:
    """Everything the handlers reach.

    ``wall_clock`` is real time, for token expiry and webhook timestamps; business time is the
    use cases' clock (the test clock in sandbox mode), so moving the sandbox clock by days never
    expires a login or makes a fresh webhook look stale.
    """

    use_cases: UseCases
    readiness: ReadinessProbe
    wall_clock: Callable[[], datetime]
    sandbox: SandboxControls | None = None
