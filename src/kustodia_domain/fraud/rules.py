"""Rules as named objects: what they apply to, what they read, what they ask for.

A rule's ``condition`` and ``explain`` are compiled from text when a ruleset is loaded (see
:mod:`kustodia_domain.fraud.ruleset_files`), but any callables work, which is how tests build a
rule that raises. A rule never decides alone: the ruleset combines every fired rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import attrs

from kustodia_domain.fraud.conditions.references import ParamValue
from kustodia_domain.fraud.durations import Duration
from kustodia_domain.fraud.facts.catalog import FactRequest
from kustodia_domain.fraud.screening import FactValue, Outcome
from kustodia_domain.fraud.vocabulary import ANY_KIND

Condition = Callable[[Mapping[str, FactValue]], object]
Explainer = Callable[[Mapping[str, FactValue]], str]


def parameter_value(value: ParamValue) -> FactValue:
    """A parameter as it is recorded on a fired rule (durations spelled, lists joined)."""
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return value


def canonical_parameter(value: ParamValue) -> object:
    """A parameter in the ruleset's canonical (hashed) form."""
    if isinstance(value, Duration):
        return {"duration": str(value)}
    if isinstance(value, tuple):
        return list(value)
    return value


def _freeze(params: Mapping[str, ParamValue]) -> Mapping[str, ParamValue]:
    return MappingProxyType(dict(params))


@attrs.frozen(kw_only=True, eq=False)
class Rule:
    """A named rule.

    Invariants (checked by the ruleset): ``score >= 0`` so adding a fired rule never lowers a
    decision; ``facts`` lists every fact the condition and the explanation read; ``events`` are
    known event kinds or ``*``. ``condition`` fires only when it returns exactly ``True``.
    """

    rule_id: str
    title: str
    severity: str
    events: frozenset[str]
    outcome: Outcome
    score: int
    condition: Condition
    explain: Explainer
    facts: tuple[FactRequest, ...]
    params: Mapping[str, ParamValue] = attrs.field(factory=dict, converter=_freeze)
    actions: tuple[str, ...] = ()
    condition_text: str = ""
    explain_text: str = ""
    enabled: bool = True
    parameter_values: Mapping[str, FactValue] = attrs.field(init=False)

    @parameter_values.default
    def _parameter_values(self) -> Mapping[str, FactValue]:
        return MappingProxyType({k: parameter_value(v) for k, v in sorted(self.params.items())})

    def applies_to(self, kind: str) -> bool:
        """Whether the rule is evaluated for events of ``kind``."""
        return self.enabled and (ANY_KIND in self.events or kind in self.events)

    def canonical(self) -> dict[str, object]:
        """The rule's content in canonical form, for the ruleset hash."""
        return {
            "id": self.rule_id,
            "title": self.title,
            "severity": self.severity,
            "events": sorted(self.events),
            "when": self.condition_text,
            "explain": self.explain_text,
            "outcome": self.outcome.label,
            "score": self.score,
            "actions": sorted(self.actions),
            "params": {k: canonical_parameter(v) for k, v in sorted(self.params.items())},
            "enabled": self.enabled,
        }
