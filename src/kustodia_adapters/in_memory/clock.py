"""Clocks: the wall clock for running systems, a hand-moved clock for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kustodia_domain.ports.clock import Clock
from kustodia_domain.shared.time import ensure_utc

DEFAULT_START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
"""Where a ``FixedClock`` starts unless told otherwise."""


class SystemClock(Clock):
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock(Clock):
    """A clock that moves only when told to; naive datetimes are refused.

    Raises:
        ValidationError: ``at`` (or a later ``set``) has no time zone.
    """

    def __init__(self, at: datetime = DEFAULT_START) -> None:
        self._now = ensure_utc(at)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (backwards too: tests of clock skew need it)."""
        self._now = ensure_utc(at)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; returns the new now."""
        self._now += delta
        return self._now
