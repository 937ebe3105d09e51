"""Explanation templates: text with ``{fact}``, ``{params.x}`` and ``{fact:mxn}`` placeholders.

Placeholders are checked like condition references when the ruleset loads, so an explanation can
never name a fact that does not exist. Formats: ``mxn`` renders centavos as ``1,234.56 MXN``,
``duration`` renders seconds as ``2d 3h``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping

import attrs

from kustodia_domain.fraud.conditions.references import (
    ConditionError,
    Evaluator,
    Facts,
    ParamValue,
    References,
)
from kustodia_domain.fraud.facts.catalog import FactCatalog, FactRequest

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))


def format_mxn(centavos: int) -> str:
    """``123456`` -> ``1,234.56 MXN``."""
    sign = "-" if centavos < 0 else ""
    pesos, cents = divmod(abs(centavos), 100)
    return f"{sign}{pesos:,}.{cents:02d} MXN"


def format_seconds(seconds: int) -> str:
    """``93784`` -> ``1d 2h 3m 4s`` (zero parts omitted)."""
    parts: list[str] = []
    rest = seconds
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def render_value(value: object, style: str = "") -> str:
    """How a fact or parameter value reads in an explanation."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and style == "mxn":
        return format_mxn(value)
    if isinstance(value, int) and style == "duration":
        return format_seconds(value)
    if isinstance(value, tuple | frozenset):
        return ", ".join(str(item) for item in sorted(value))
    return str(value)


@attrs.frozen(kw_only=True)
class CompiledTemplate:
    """A checked template and the facts and parameters it reads."""

    text: str
    render: Callable[[Facts], str]
    facts: tuple[FactRequest, ...]
    params: frozenset[str]


def compile_template(
    text: str, params: Mapping[str, ParamValue], catalog: FactCatalog
) -> CompiledTemplate:
    """Check and compile the explanation template ``text``.

    Raises:
        ConditionError: a placeholder names an unknown fact or parameter, or is not a reference.
    """
    refs = References(params, catalog)
    pieces: list[tuple[str, Evaluator | None, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        inner, _, style = match.group(1).partition(":")
        if style not in {"", "mxn", "duration"}:
            raise ConditionError("bad condition", f"unknown format {style!r} in {{{inner}}}")
        try:
            node = ast.parse(inner.strip(), mode="eval").body
        except SyntaxError as exc:
            raise ConditionError("bad condition", f"bad placeholder {{{inner}}}") from exc
        if not isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            raise ConditionError("bad condition", f"placeholder {{{inner}}} is not a reference")
        pieces.append((text[position : match.start()], refs.resolve(node).fn, style))
        position = match.end()
    pieces.append((text[position:], None, ""))
    frozen = tuple(pieces)

    def render(facts: Facts) -> str:
        return "".join(
            prefix + ("" if read is None else render_value(read(facts), style))
            for prefix, read, style in frozen
        )

    return CompiledTemplate(
        text=text,
        render=render,
        facts=tuple(refs.facts[key] for key in sorted(refs.facts)),
        params=frozenset(refs.used_params),
    )
