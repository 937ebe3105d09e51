"""The sandbox's test clock: the wall clock plus an offset that only grows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kustodia_domain.ports.clock import Clock


def _wall() -> datetime:
    return datetime.now(UTC)


class SandboxClock(Clock):
    """Real time, moved forward on request (``advance``) as a payment provider's test clock is.

    Unlike :class:`~kustodia_adapters.in_memory.clock.FixedClock` it keeps running, so a
    sandbox server behaves like a live one between advances.
    """

    def __init__(self, wall: Callable[[], datetime] = _wall) -> None:
        self._wall = wall
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self._wall() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (never backwards); returns the new now."""
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        self._offset += delta
        return self.now()
