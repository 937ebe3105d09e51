"""Computing the facts a ruleset needs for one event, failing closed per fact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kustodia_domain.fraud.facts.catalog import FactRequest
from kustodia_domain.fraud.facts.context import FactContext
from kustodia_domain.fraud.screening import FactValue


async def gather_facts(
    requests: Iterable[FactRequest],
    ctx: FactContext,
    known: Mapping[str, FactValue] | None = None,
    known_errors: Mapping[str, str] | None = None,
) -> tuple[dict[str, FactValue], dict[str, str]]:
    """Values of ``requests`` (reusing ``known`` ones) and the errors of those that failed.

    A provider that raises, or returns a value of the wrong type, yields ``None`` and an error
    entry; the rules that read that fact then fail closed. Types are exact (a bool is not a
    count) except text: a ``StrEnum`` compares as its value. ``ctx`` must have been prepared
    for the requests' ``needs`` (see :meth:`FactContext.prepare`).
    """
    values: dict[str, FactValue] = {}
    errors: dict[str, str] = {}
    for request in requests:
        key = request.key
        if known is not None and key in known:
            values[key] = known[key]
            if known_errors and key in known_errors:
                errors[key] = known_errors[key]
            continue
        family = request.family
        try:
            if family.asynchronous:
                value = await family.as_async(ctx, request.args)
            else:
                value = family.as_sync(ctx, request.args)
        except Exception as exc:  # a failing fact fails its rules closed
            values[key], errors[key] = None, f"{type(exc).__name__}: {exc}"
            continue
        wanted = family.python_type
        if (
            value is not None
            and type(value) is not wanted
            and not (wanted is str and isinstance(value, str))
        ):
            values[key] = None
            errors[key] = f"provider returned {type(value).__name__}, not {family.type}"
            continue
        values[key] = value
    return values, errors
