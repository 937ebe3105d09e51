"""Ruleset-wide settings that facts depend on: time zone, KYC level caps, dated UDI values.

Mexican account levels cap monthly deposits in UDIs (N1 750, N2 3,000, N3 10,000, N4 none). The
UDI's peso value changes daily, so the ruleset carries a dated table and a cap is converted with
the value in force on the event's local date. All arithmetic is integer: UDI values are in
micro-pesos (1 MXN = 1,000,000), caps come out in centavos rounded down.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import attrs

_MICRO_PER_CENTAVO = 10_000
MEXICO_CITY = "America/Mexico_City"


@attrs.frozen(kw_only=True)
class UdiValue:
    """The UDI's value in micro-pesos from ``valid_from`` (a Mexico City calendar date) on."""

    valid_from: date
    micro_mxn: int


def _sorted_udis(values: tuple[UdiValue, ...]) -> tuple[UdiValue, ...]:
    return tuple(sorted(values, key=lambda udi: udi.valid_from))


@attrs.frozen(kw_only=True)
class Settings:
    """Settings shared by every rule of a ruleset.

    Invariants: ``udi`` is non-empty and sorted by date; caps are positive and ascending.
    """

    timezone: str = MEXICO_CITY
    kyc_level_caps_udis: tuple[int, ...] = (750, 3_000, 10_000)
    """Monthly caps of levels N1, N2, N3 in UDIs; higher levels have no cap."""
    udi: tuple[UdiValue, ...] = attrs.field(
        default=(UdiValue(valid_from=date(2026, 1, 1), micro_mxn=8_700_000),),
        converter=_sorted_udis,
    )
    reporting_thresholds_minor: tuple[int, ...] = ()
    """Amounts (centavos) that trigger a regulatory report; structuring aims just below them."""

    @cached_property
    def _udi_dates(self) -> list[date]:
        return [udi.valid_from for udi in self.udi]

    @cached_property
    def zone(self) -> ZoneInfo:
        """The ruleset's time zone."""
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the ruleset's time zone."""
        return moment.astimezone(self.zone)

    def month_start(self, moment: datetime) -> datetime:
        """Midnight of the first day of ``moment``'s local calendar month."""
        local = self.local(moment)
        return _first_of_month(local.tzinfo, local.year, local.month, local.fold)[0]

    def month_start_utc(self, moment: datetime) -> datetime:
        """:meth:`month_start` as a UTC time, to compare with stored (UTC) times cheaply."""
        local = self.local(moment)
        return _first_of_month(local.tzinfo, local.year, local.month, local.fold)[1]

    def udi_micro_mxn(self, moment: datetime) -> int:
        """The UDI value in force on ``moment``'s local date (the earliest one before the table)."""
        return self.udi_on(self.local(moment).date())

    def udi_on(self, day: date) -> int:
        """The UDI value in force on local date ``day`` (the earliest one before the table)."""
        index = bisect.bisect_right(self._udi_dates, day) - 1
        return self.udi[max(index, 0)].micro_mxn

    def cap_minor(self, level: int, moment: datetime) -> int | None:
        """The monthly cap of KYC ``level`` in centavos at ``moment``; ``None`` if uncapped."""
        return self.cap_minor_on(level, self.local(moment).date())

    def cap_minor_on(self, level: int, day: date) -> int | None:
        """The monthly cap of KYC ``level`` in centavos on local date ``day``; ``None`` if uncapped.

        Remembered per level and date: every event of a day asks for the same few caps.
        """
        key = (level, day)
        caps = self._caps
        if key not in caps:
            if 1 <= level <= len(self.kyc_level_caps_udis):
                udis = self.kyc_level_caps_udis[level - 1]
                caps[key] = udis * self.udi_on(day) // _MICRO_PER_CENTAVO
            else:
                caps[key] = None
        return caps[key]

    @cached_property
    def _caps(self) -> dict[tuple[int, date], int | None]:
        return {}


@lru_cache(maxsize=1024)
def _first_of_month(
    zone: tzinfo | None, year: int, month: int, fold: int
) -> tuple[datetime, datetime]:
    """Local midnight on the first of ``month`` in ``zone`` (with ``fold``), and in UTC.

    What ``replace(day=1, hour=0, minute=0, second=0, microsecond=0)`` gives, built once per
    month: every event of a month asks for it, and ``replace`` with keywords is slow.
    """
    local = datetime(year, month, 1, tzinfo=zone, fold=fold)
    return local, local.astimezone(UTC)
