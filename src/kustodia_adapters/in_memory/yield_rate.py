"""A yield rate that never changes."""

from __future__ import annotations

from datetime import date

from kustodia_domain.ports.yield_rate import DEFAULT_ANNUAL_RATE_PPM, YieldRateProvider


class FixedYieldRate(YieldRateProvider):
    """The same annual rate (parts per million) on every day.

    Raises:
        ValueError: ``ppm`` is negative or not an ``int``.
    """

    def __init__(self, ppm: int = DEFAULT_ANNUAL_RATE_PPM) -> None:
        if type(ppm) is not int or ppm < 0:
            raise ValueError(f"an annual rate is a non-negative int of ppm, got {ppm!r}")
        self._ppm = ppm

    async def annual_rate_ppm(self, on: date) -> int:
        return self._ppm
