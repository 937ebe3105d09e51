"""Durations written the way operators write them: ``90s``, ``30m``, ``24h``, ``7d``.

Windows and minimum ages in rulesets are durations; inside the engine they are whole seconds, so
comparisons with ``*_seconds`` facts are exact integer comparisons.
"""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
_PATTERN = re.compile(r"^([1-9][0-9]{0,6})([smhd])$")


def is_duration(text: str) -> bool:
    """Whether ``text`` is a duration literal such as ``24h``."""
    return _PATTERN.match(text) is not None


def parse_duration(text: str) -> int:
    """The number of seconds in ``text``.

    Raises:
        ValueError: ``text`` is not ``<positive integer><s|m|h|d>``.
    """
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30m, 24h or 7d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The canonical spelling of ``seconds``: the largest unit that divides it exactly."""
    for unit in ("d", "h", "m"):
        size = _UNITS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


class Duration(int):
    """A rule parameter written as a duration; its integer value is the number of seconds.

    It behaves as an ``int`` in conditions and keeps its canonical spelling for explanations,
    fired-rule parameters and the ruleset hash.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``30m``, ``24h``, ``7d`` ...; raises ``ValueError`` otherwise."""
        return cls(parse_duration(text))

    def __str__(self) -> str:
        return format_duration(int(self))

    def __repr__(self) -> str:
        return f"Duration({format_duration(int(self))!r})"
