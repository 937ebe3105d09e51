"""Durations, names and settings: the small values the rules are written in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kustodia_domain.fraud.durations import Duration, format_duration, parse_duration
from kustodia_domain.fraud.names import normalize_name, similarity_permille
from kustodia_domain.fraud.settings import Settings, UdiValue
from kustodia_domain.fraud.vocabulary import mxn_minor
from kustodia_domain.shared.money import MXNB, Money


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1_800), ("24h", 86_400), ("7d", 604_800)]
)
def test_durations_are_written_with_a_unit_and_kept_in_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["0h", "24", "1.5h", "-3d", "3w", " 3d"])
def test_anything_else_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_a_duration_parameter_is_an_int_of_seconds_that_prints_canonically() -> None:
    window = Duration.parse("48h")

    assert (window, str(window), repr(window)) == (172_800, "2d", "Duration('2d')")


def test_names_are_compared_without_case_accents_punctuation_or_word_order() -> None:
    assert normalize_name("  López-Soto, ANA  María ") == "ana lopez maria soto"
    assert similarity_permille("JOSÉ PÉREZ", "Perez Jose") == 1000


def test_similarity_is_integer_per_mille_and_symmetric() -> None:
    forward = similarity_permille("Juan Carlos Perez", "Juan Perez")
    backward = similarity_permille("Juan Perez", "Juan Carlos Perez")

    assert isinstance(forward, int)
    assert forward == backward
    assert 0 < forward < 1000
    assert similarity_permille("", "") == 0


def test_the_udi_in_force_is_the_latest_dated_value_on_or_before_the_local_date() -> None:
    settings = Settings(
        udi=(
            UdiValue(valid_from=date(2026, 2, 1), micro_mxn=8_500_000),
            UdiValue(valid_from=date(2026, 1, 1), micro_mxn=8_400_000),
        )
    )

    assert settings.udi_micro_mxn(datetime(2025, 12, 1, tzinfo=UTC)) == 8_400_000
    assert settings.udi_micro_mxn(datetime(2026, 1, 31, 12, tzinfo=UTC)) == 8_400_000
    assert settings.udi_micro_mxn(datetime(2026, 2, 1, 12, tzinfo=UTC)) == 8_500_000


def test_level_caps_are_centavos_rounded_down_and_higher_levels_are_uncapped() -> None:
    settings = Settings(udi=(UdiValue(valid_from=date(2026, 1, 1), micro_mxn=8_123_457),))
    moment = datetime(2026, 3, 1, 18, tzinfo=UTC)

    assert settings.cap_minor(1, moment) == 609_259  # 750 x 8.123457 = 6,092.59275 MXN
    assert settings.cap_minor(4, moment) is None


def test_mxnb_converts_to_centavos_rounding_down() -> None:
    assert mxn_minor(Money(1_999_999, MXNB)) == 199
    assert mxn_minor(Money.mxn(5)) == 5
    assert mxn_minor(None) is None
