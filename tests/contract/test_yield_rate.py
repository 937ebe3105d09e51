"""The yield-rate provider: an annual rate in parts per million for any day."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date

import pytest

from kustodia_adapters.in_memory.yield_rate import FixedYieldRate
from kustodia_domain.ports.yield_rate import DEFAULT_ANNUAL_RATE_PPM, YieldRateProvider


class YieldRateProviderContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def rates(self) -> YieldRateProvider:
        """The provider under test."""

    async def test_the_rate_is_a_non_negative_int_of_ppm(self, rates: YieldRateProvider) -> None:
        rate = await rates.annual_rate_ppm(date(2026, 1, 15))

        assert type(rate) is int
        assert 0 <= rate <= 1_000_000


class TestFixedYieldRate(YieldRateProviderContract):
    @pytest.fixture
    async def rates(self) -> FixedYieldRate:
        return FixedYieldRate()

    async def test_it_defaults_to_the_platform_rate_on_every_day(
        self, rates: FixedYieldRate
    ) -> None:
        assert await rates.annual_rate_ppm(date(2026, 1, 1)) == DEFAULT_ANNUAL_RATE_PPM
        assert await rates.annual_rate_ppm(date(2030, 12, 31)) == DEFAULT_ANNUAL_RATE_PPM

    async def test_it_takes_any_rate_but_a_negative_or_fractional_one(self) -> None:
        assert await FixedYieldRate(105_000).annual_rate_ppm(date(2026, 1, 1)) == 105_000
        with pytest.raises(ValueError, match="non-negative"):
            FixedYieldRate(-1)
        with pytest.raises(ValueError, match="non-negative"):
            FixedYieldRate(7.2)  # type: ignore[arg-type]
