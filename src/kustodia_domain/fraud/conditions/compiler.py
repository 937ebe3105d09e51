"""Type-check a condition and compile it to closures with three-valued logic.

Semantics (SQL-like): a fact may be ``None`` ("does not apply" or "unknown"). Arithmetic and
comparisons with ``None`` are unknown; ``not`` unknown is unknown; ``and`` is false if any operand
is false, else unknown if any is unknown; ``or`` dually. A rule fires only when its condition is
``True``. ``x is None`` / ``x is not None`` test for a missing value explicitly.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from kustodia_domain.fraud.conditions.logic import both, every, negate, pairwise, some
from kustodia_domain.fraud.conditions.references import (
    ConditionError,
    Evaluator,
    Facts,
    ParamValue,
    References,
    Typed,
    constant,
)
from kustodia_domain.fraud.facts.catalog import FactCatalog, FactRequest

_ORDER: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_EQUALITY: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_SCALARS = frozenset({"int", "str", "bool"})


@attrs.frozen(kw_only=True)
class CompiledCondition:
    """A checked condition: canonical text, evaluator, and the facts and parameters it reads."""

    text: str
    evaluate: Callable[[Facts], object]
    facts: tuple[FactRequest, ...]
    params: frozenset[str]


def compile_condition(
    text: str, params: Mapping[str, ParamValue], catalog: FactCatalog
) -> CompiledCondition:
    """Parse, check and compile ``text``.

    Raises:
        ConditionError: unknown fact, missing parameter, or bad condition (syntax, an
            unsupported construct, a type mismatch, or a condition that is not boolean).
    """
    try:
        # Parenthesised so that a condition may span several lines of a TOML string.
        tree = ast.parse(f"(\n{text.strip()}\n)", mode="eval")
    except SyntaxError as exc:
        where = f"line {(exc.lineno or 2) - 1}, column {exc.offset}"
        raise ConditionError("bad condition", f"invalid syntax at {where}: {exc.msg}") from exc
    refs = References(params, catalog)
    typed = _Compiler(refs).expression(tree.body)
    if typed.type != "bool":
        raise ConditionError("bad condition", f"the condition is {typed.type}, not a boolean")
    return CompiledCondition(
        text=ast.unparse(tree.body),
        evaluate=typed.fn,
        facts=tuple(refs.facts[key] for key in sorted(refs.facts)),
        params=frozenset(refs.used_params),
    )


@attrs.frozen
class _Compiler:
    refs: References

    def expression(self, node: ast.expr) -> Typed:  # noqa: PLR0911  (one return per syntax)
        match node:
            case ast.Name() | ast.Attribute() | ast.Subscript():
                return self.refs.resolve(node)
            case ast.Constant():
                return self.literal(node)
            case ast.List() | ast.Tuple():
                return self.sequence(node)
            case ast.BoolOp():
                return self.boolean(node)
            case ast.UnaryOp():
                return self.unary(node)
            case ast.BinOp():
                return self.arithmetic(node)
            case ast.Compare():
                return self.comparison(node)
        raise ConditionError(
            "bad condition", f"{type(node).__name__} is not allowed (column {node.col_offset + 1})"
        )

    def literal(self, node: ast.Constant) -> Typed:
        value = node.value
        for python_type, name in ((bool, "bool"), (int, "int"), (str, "str")):
            if isinstance(value, python_type):
                return constant(value, name)
        if value is None:
            return constant(None, "none")
        raise ConditionError(
            "bad condition", f"{value!r}: use integers (centavos, basis points, per-mille)"
        )

    def sequence(self, node: ast.List | ast.Tuple) -> Typed:
        items = [self.expression(item) for item in node.elts]
        types = {item.type for item in items}
        if not all(item.constant for item in items) or len(types) > 1 or not types <= _SCALARS:
            raise ConditionError("bad condition", "a list holds literals of one type")
        kind = f"list[{types.pop()}]" if types else "list[]"
        return constant(frozenset(item.value for item in items), kind)

    def boolean(self, node: ast.BoolOp) -> Typed:
        parts = [self._expect(self.expression(v), "bool", "and/or") for v in node.values]
        combine = every if isinstance(node.op, ast.And) else some
        return Typed("bool", combine(tuple(part.fn for part in parts)))

    def unary(self, node: ast.UnaryOp) -> Typed:
        operand = self.expression(node.operand)
        if isinstance(node.op, ast.Not):
            return Typed("bool", negate(self._expect(operand, "bool", "not").fn))
        if isinstance(node.op, ast.USub) and operand.constant and operand.type == "int":
            return constant(-operand.value, "int")  # type: ignore[operator]
        raise ConditionError("bad condition", "only 'not' and a literal negative number")

    def arithmetic(self, node: ast.BinOp) -> Typed:
        op = _ARITHMETIC.get(type(node.op))
        if op is None:
            raise ConditionError("bad condition", "arithmetic is + - * // % on integers")
        left = self._expect(self.expression(node.left), "int", "arithmetic")
        right = self._expect(self.expression(node.right), "int", "arithmetic")
        return Typed("int", both(op, left.fn, right.fn))

    def comparison(self, node: ast.Compare) -> Typed:
        operands = [self.expression(node.left), *(self.expression(c) for c in node.comparators)]
        links = [self._compare(op, operands[i], operands[i + 1]) for i, op in enumerate(node.ops)]
        return (
            links[0] if len(links) == 1 else Typed("bool", every(tuple(link.fn for link in links)))
        )

    def _compare(self, op: ast.cmpop, left: Typed, right: Typed) -> Typed:
        if isinstance(op, ast.Is | ast.IsNot):
            if right.type != "none":
                raise ConditionError("bad condition", "'is' only compares with None")
            fn = left.fn
            if isinstance(op, ast.Is):
                return Typed("bool", lambda facts: fn(facts) is None)
            return Typed("bool", lambda facts: fn(facts) is not None)
        if isinstance(op, ast.In | ast.NotIn):
            if not right.constant or right.type not in {f"list[{left.type}]", "list[]"}:
                raise ConditionError("bad condition", f"'in' needs a list of {left.type}")
            contains = operator.contains
            member = (
                (lambda a, b: contains(b, a))
                if isinstance(op, ast.In)
                else (lambda a, b: not contains(b, a))
            )
            return Typed("bool", pairwise(member, left, right))
        function = _ORDER.get(type(op))
        if function is not None and left.type == right.type == "int":
            return Typed("bool", pairwise(function, left, right))
        function = _EQUALITY.get(type(op))
        if function is not None and left.type == right.type and left.type in _SCALARS:
            return Typed("bool", pairwise(function, left, right))
        raise ConditionError(
            "bad condition",
            f"cannot compare {left.type} with {right.type} using {type(op).__name__}",
        )

    @staticmethod
    def _expect(typed: Typed, wanted: str, where: str) -> Typed:
        if typed.type != wanted:
            raise ConditionError("bad condition", f"{where} needs {wanted}, got {typed.type}")
        return typed


__all__ = ["CompiledCondition", "ConditionError", "Evaluator", "compile_condition"]
