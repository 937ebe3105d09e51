"""The annual yield rate on custody balances."""

from __future__ import annotations

from abc import abstractmethod
from datetime import date
from typing import Protocol

DEFAULT_ANNUAL_RATE_PPM = 72_000
"""7.2 % a year, in parts per million."""


class YieldRateProvider(Protocol):
    """Supplies the annual rate in parts per million for a given day."""

    @abstractmethod
    async def annual_rate_ppm(self, on: date) -> int:
        """The annual rate on ``on`` (e.g. ``72000`` for 7.2 %)."""
