"""Parsing the non-rule sections of a ruleset file: parameters, scoring and settings.

Every function appends human-readable problems instead of raising, so an operator sees every
mistake of a file at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kustodia_domain.fraud.conditions.references import ParamValue
from kustodia_domain.fraud.durations import Duration, is_duration
from kustodia_domain.fraud.scoring import Scoring
from kustodia_domain.fraud.screening import Outcome
from kustodia_domain.fraud.settings import Settings, UdiValue

_SCORING_KEYS = {"review_at", "hold_at", "block_at", "error_outcome"}
_SETTINGS_KEYS = {"timezone", "kyc_level_caps_udis", "udi", "reporting_thresholds_minor"}


def unknown_keys(table: Mapping[str, object], allowed: set[str], where: str) -> list[str]:
    """A problem per key of ``table`` not in ``allowed`` (typos must not pass silently)."""
    return [f"{where}: unknown key {key!r}" for key in sorted(set(table) - allowed)]


def outcome_named(label: object) -> Outcome | None:
    """The outcome called ``label`` (``allow`` ... ``block``), or ``None``."""
    if isinstance(label, str) and label.upper() in Outcome.__members__:
        return Outcome[label.upper()]
    return None


def _param(value: object) -> ParamValue | None:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return Duration.parse(value) if is_duration(value) else value
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return tuple(str(v) for v in value)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(int(v) for v in value)
    return None


def parse_params(table: object, where: str, problems: list[str]) -> dict[str, ParamValue]:
    """Rule parameters: integers, booleans, strings (``24h`` is a duration) or flat lists."""
    if not isinstance(table, dict):
        problems.append(f"{where}: params must be a table")
        return {}
    params: dict[str, ParamValue] = {}
    for name, raw in sorted(table.items()):
        value = _param(raw)
        if not name.isidentifier():
            problems.append(f"{where}: parameter name {name!r} is not an identifier")
        elif isinstance(raw, float):
            problems.append(
                f"{where}: parameter {name} is a float; use integer centavos, "
                "basis points or per-mille"
            )
        elif value is None:
            problems.append(
                f"{where}: parameter {name} must be an integer, boolean, string, "
                "duration or a list of one of those"
            )
        else:
            params[name] = value
    return params


def parse_scoring(table: Mapping[str, object], problems: list[str]) -> Scoring:
    """The ``[scoring]`` section (defaults: review at 40, hold at 70, no score block)."""
    problems.extend(unknown_keys(table, _SCORING_KEYS, "scoring"))
    defaults = Scoring()
    values: dict[str, int | None] = {}
    for key in ("review_at", "hold_at", "block_at"):
        raw = table.get(key, getattr(defaults, key))
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int)):
            problems.append(f"scoring: {key} must be a whole number")
            raw = getattr(defaults, key)
        values[key] = raw
    error_outcome = outcome_named(table.get("error_outcome", "review"))
    if error_outcome is None:
        problems.append("scoring: error_outcome must be an outcome name")
        error_outcome = Outcome.REVIEW
    return Scoring(
        review_at=values["review_at"] or 0,
        hold_at=values["hold_at"] or 0,
        block_at=values["block_at"],
        error_outcome=error_outcome,
    )


def _int_list(table: Mapping[str, object], key: str, problems: list[str]) -> tuple[int, ...] | None:
    raw = table.get(key)
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in raw
    ):
        problems.append(f"settings: {key} must be a list of positive whole numbers")
        return None
    return tuple(raw)


def _udi(raw: object, problems: list[str]) -> tuple[UdiValue, ...] | None:
    if raw is None:
        return None
    values: list[UdiValue] = []
    for row in raw if isinstance(raw, list) else [None]:
        day = row.get("from") if isinstance(row, dict) else None
        micro = row.get("micro_mxn") if isinstance(row, dict) else None
        if (
            not isinstance(day, date)
            or isinstance(day, datetime)
            or not isinstance(micro, int)
            or isinstance(micro, bool)
            or micro <= 0
        ):
            problems.append("settings: udi rows are { from = YYYY-MM-DD, micro_mxn = <int> }")
            return None
        values.append(UdiValue(valid_from=day, micro_mxn=micro))
    if not values:
        problems.append("settings: udi needs at least one value")
        return None
    return tuple(values)


def parse_settings(table: Mapping[str, object], problems: list[str]) -> Settings:
    """The ``[settings]`` section; anything not given keeps its default."""
    problems.extend(unknown_keys(table, _SETTINGS_KEYS, "settings"))
    fields: dict[str, object] = {}
    timezone = table.get("timezone")
    if timezone is not None:
        try:
            ZoneInfo(str(timezone))
            fields["timezone"] = str(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"settings: unknown time zone {timezone!r}")
    caps = _int_list(table, "kyc_level_caps_udis", problems)
    if caps is not None and list(caps) != sorted(caps):
        problems.append("settings: kyc_level_caps_udis must ascend (N1 <= N2 <= N3)")
    elif caps is not None:
        fields["kyc_level_caps_udis"] = caps
    thresholds = _int_list(table, "reporting_thresholds_minor", problems)
    if thresholds is not None:
        fields["reporting_thresholds_minor"] = thresholds
    udi = _udi(table.get("udi"), problems)
    if udi is not None:
        fields["udi"] = udi
    return Settings(**fields)  # type: ignore[arg-type]
