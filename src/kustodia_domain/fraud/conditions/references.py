"""Resolving names in conditions: ``params.x`` parameters and (possibly indexed) facts."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Literal

import attrs

from kustodia_domain.fraud.durations import Duration, is_duration, parse_duration
from kustodia_domain.fraud.facts.catalog import ArgKind, FactCatalog, FactKeyError, FactRequest
from kustodia_domain.fraud.screening import FactValue

ParamValue = int | str | bool | Duration | tuple[int, ...] | tuple[str, ...]
Facts = Mapping[str, FactValue]
Evaluator = Callable[[Facts], object]
ErrorKind = Literal["unknown fact", "missing parameter", "bad condition"]


class ConditionError(ValueError):
    """A condition or template that cannot be compiled; ``kind`` says which check failed."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


@attrs.frozen
class Typed:
    """A compiled sub-expression: its static type, its evaluator and, if constant, its value."""

    type: str
    fn: Evaluator
    constant: bool = False
    value: object = None
    fact: str | None = None
    """The fact key when the expression is a plain fact reference (``fn`` reads it)."""


def constant(value: object, type_: str) -> Typed:
    """A constant sub-expression."""
    return Typed(type_, lambda _facts: value, constant=True, value=value)


def param_type(value: ParamValue) -> str:
    """The condition type of a parameter value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if not value:
        return "list[]"
    return "list[int]" if isinstance(value[0], int) else "list[str]"


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for an ``Attribute`` chain ending in a ``Name``; ``None`` otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@attrs.define
class References:
    """Resolves references for one rule and records which facts and parameters it read."""

    params: Mapping[str, ParamValue]
    catalog: FactCatalog
    facts: dict[str, FactRequest] = attrs.field(factory=dict)
    used_params: set[str] = attrs.field(factory=set)

    def param(self, name: str) -> ParamValue:
        """The value of ``params.<name>``; raises ``ConditionError`` if the rule lacks it."""
        if name not in self.params:
            declared = ", ".join(sorted(self.params)) or "none"
            raise ConditionError(
                "missing parameter", f"params.{name} is not defined (declared: {declared})"
            )
        self.used_params.add(name)
        return self.params[name]

    def resolve(self, node: ast.expr) -> Typed:
        """Compile a ``Name``/``Attribute``/``Subscript`` reference."""
        base_node = node.value if isinstance(node, ast.Subscript) else node
        name = dotted_name(base_node)
        if name is None:
            raise ConditionError("bad condition", f"cannot read {ast.unparse(node)!r}")
        if name.startswith("params."):
            if isinstance(node, ast.Subscript):
                raise ConditionError("bad condition", f"{name} cannot take arguments")
            value = self.param(name.removeprefix("params."))
            return constant(value, param_type(value))
        return self._fact(name, node)

    def _fact(self, name: str, node: ast.expr) -> Typed:
        family = self.catalog.get(name)
        if family is None:
            raise ConditionError("unknown fact", f"{name!r}{self.catalog.suggest(name)}")
        arg_nodes: list[ast.expr] = []
        if isinstance(node, ast.Subscript):
            index = node.slice
            arg_nodes = list(index.elts) if isinstance(index, ast.Tuple) else [index]
        elif family.args:
            example = f'{name}["24h"]' if family.args == ("duration",) else f"{name}[...]"
            raise ConditionError(
                "bad condition", f"{name} takes [{', '.join(family.args)}], e.g. {example}"
            )
        if len(arg_nodes) != len(family.args):
            wanted = ", ".join(family.args) or "no arguments"
            raise ConditionError("bad condition", f"{name} takes [{wanted}]")
        args = tuple(
            self._arg(kind, arg, name) for kind, arg in zip(family.args, arg_nodes, strict=True)
        )
        try:
            request = self.catalog.request(name, args)
        except FactKeyError as exc:
            raise ConditionError("bad condition", str(exc)) from exc
        self.facts[request.key] = request
        return Typed(family.type, operator.itemgetter(request.key), fact=request.key)

    def _arg(self, kind: ArgKind, node: ast.expr, fact: str) -> int:
        if isinstance(node, ast.Constant):
            value: object = node.value
        elif (name := dotted_name(node)) is not None and name.startswith("params."):
            value = self.param(name.removeprefix("params."))
        else:
            raise ConditionError("bad condition", f"{fact}: arguments are literals or params")
        if kind == "duration":
            if isinstance(value, str) and is_duration(value):
                return parse_duration(value)
            if isinstance(value, Duration):
                return int(value)
            raise ConditionError("bad condition", f"{fact}: {value!r} is not a duration like 24h")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConditionError("bad condition", f"{fact}: {value!r} is not a whole number")
        return value
