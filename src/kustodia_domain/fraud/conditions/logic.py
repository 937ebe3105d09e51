"""Three-valued combinators (``True``/``False``/``None`` = unknown) used by compiled conditions.

They are closures over already-compiled operands; constants are folded into the closure so a
typical comparison of a fact with a threshold costs one dictionary lookup and one comparison.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from kustodia_domain.fraud.conditions.references import Evaluator, Facts, Typed


def every(parts: tuple[Evaluator, ...]) -> Evaluator:
    """Three-valued ``and``: false wins, then unknown, else true."""

    def evaluate(facts: Facts) -> object:
        unknown = False
        for part in parts:
            value = part(facts)
            if value is False:
                return False
            if value is None:
                unknown = True
        return None if unknown else True

    return evaluate


def some(parts: tuple[Evaluator, ...]) -> Evaluator:
    """Three-valued ``or``: true wins, then unknown, else false."""

    def evaluate(facts: Facts) -> object:
        unknown = False
        for part in parts:
            value = part(facts)
            if value is True:
                return True
            if value is None:
                unknown = True
        return None if unknown else False

    return evaluate


def negate(part: Evaluator) -> Evaluator:
    """Three-valued ``not``."""

    def evaluate(facts: Facts) -> object:
        value = part(facts)
        return None if value is None else not value

    return evaluate


def both(op: Callable[[int, int], int], left: Evaluator, right: Evaluator) -> Evaluator:
    """``op(left, right)``, unknown if either side is unknown."""

    def evaluate(facts: Facts) -> object:
        a = left(facts)
        if a is None:
            return None
        b = right(facts)
        return None if b is None else op(a, b)  # type: ignore[arg-type]

    return evaluate


def pairwise(op: Callable[[object, object], object], left: Typed, right: Typed) -> Evaluator:
    """A comparison ``op(left, right)``, unknown if either side is unknown; folds constants."""
    if right.constant:
        fixed, read = right.value, left.fn
        if fixed is None:
            return lambda _facts: None
        specialised = _FACT_AGAINST_CONSTANT.get(op)
        if specialised is not None and left.fact is not None:
            return specialised(left.fact, fixed)

        def against_constant(facts: Facts) -> object:
            value = read(facts)
            return None if value is None else op(value, fixed)

        return against_constant
    if left.constant:
        fixed_left, read_right = left.value, right.fn

        def constant_against(facts: Facts) -> object:
            value = read_right(facts)
            return None if value is None or fixed_left is None else op(fixed_left, value)

        return constant_against
    return both(op, left.fn, right.fn)  # type: ignore[arg-type]


# ``fact <op> constant`` is most of what rules compare. These read the fact and compare inline,
# sparing the two calls (``itemgetter`` and the ``operator`` function) of the general form;
# same semantics: unknown (``None``) when the fact is ``None``.


def _lt(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value: Any = facts[key]
        return None if value is None else value < fixed

    return evaluate


def _le(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value: Any = facts[key]
        return None if value is None else value <= fixed

    return evaluate


def _gt(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value: Any = facts[key]
        return None if value is None else value > fixed

    return evaluate


def _ge(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value: Any = facts[key]
        return None if value is None else value >= fixed

    return evaluate


def _eq(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value = facts[key]
        return None if value is None else value == fixed

    return evaluate


def _ne(key: str, fixed: Any) -> Evaluator:
    def evaluate(facts: Facts) -> object:
        value = facts[key]
        return None if value is None else value != fixed

    return evaluate


_FACT_AGAINST_CONSTANT: dict[Callable[[Any, Any], object], Callable[[str, Any], Evaluator]] = {
    operator.lt: _lt,
    operator.le: _le,
    operator.gt: _gt,
    operator.ge: _ge,
    operator.eq: _eq,
    operator.ne: _ne,
}
