"""Clocks and id generators: aware UTC time, prefixed unique ids, 7-digit references."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kustodia_adapters.in_memory.clock import DEFAULT_START, FixedClock, SystemClock
from kustodia_adapters.in_memory.ids import SequentialIdGenerator, UuidIdGenerator
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.shared.errors import ValidationError
from tests.contract.builders import T0


class ClockContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def clock(self) -> Clock:
        """The clock under test."""

    async def test_now_is_timezone_aware_utc(self, clock: Clock) -> None:
        assert clock.now().utcoffset() == timedelta(0)

    async def test_time_never_runs_backwards_between_reads(self, clock: Clock) -> None:
        first = clock.now()
        assert clock.now() >= first


class IdGeneratorContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def ids(self) -> IdGenerator:
        """The generator under test."""

    async def test_ids_carry_their_prefix_and_never_repeat(self, ids: IdGenerator) -> None:
        made = [ids.new_id("esc") for _ in range(1_000)]

        assert all(i.startswith("esc_") for i in made)
        assert len(set(made)) == len(made)

    async def test_references_are_seven_digits(self, ids: IdGenerator) -> None:
        for _ in range(100):
            reference = ids.new_reference()
            assert len(reference) == 7
            assert reference.isdigit()


class TestSystemClock(ClockContract):
    @pytest.fixture
    async def clock(self) -> SystemClock:
        return SystemClock()


class TestFixedClock(ClockContract):
    @pytest.fixture
    async def clock(self) -> FixedClock:
        return FixedClock()

    async def test_it_stands_still_until_moved(self, clock: FixedClock) -> None:
        assert clock.now() == clock.now() == DEFAULT_START
        assert clock.advance(timedelta(days=2)) == DEFAULT_START + timedelta(days=2)
        clock.set(T0)
        assert clock.now() == T0

    async def test_it_converts_other_zones_to_utc_and_refuses_naive_times(self) -> None:
        mexico_city = timezone(timedelta(hours=-6))
        clock = FixedClock(datetime(2026, 1, 15, 6, 0, tzinfo=mexico_city))

        assert clock.now() == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        assert clock.now().tzinfo is UTC
        with pytest.raises(ValidationError):
            clock.set(datetime(2026, 1, 15, 12, 0))  # noqa: DTZ001


class TestUuidIdGenerator(IdGeneratorContract):
    @pytest.fixture
    async def ids(self) -> UuidIdGenerator:
        return UuidIdGenerator()


class TestSequentialIdGenerator(IdGeneratorContract):
    @pytest.fixture
    async def ids(self) -> SequentialIdGenerator:
        return SequentialIdGenerator()

    async def test_it_counts_per_prefix_and_references_from_1000001(
        self, ids: SequentialIdGenerator
    ) -> None:
        made = [ids.new_id("esc"), ids.new_id("usr"), ids.new_id("esc")]
        references = [ids.new_reference(), ids.new_reference()]

        assert made == ["esc_000001", "usr_000001", "esc_000002"]
        assert references == ["1000001", "1000002"]
