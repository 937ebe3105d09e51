"""A versioned, content-hashed set of rules, and the pure decision function.

``Ruleset.decide(event_id, facts)`` is the engine: it evaluates the rules that apply to the
event's kind, and returns the maximum (on ``allow < flag < review < hold < block``) of the fired
rules' outcomes and of the outcome the summed score reaches. Rules are evaluated in id order and
every combination is commutative, so rule order never changes a decision; scores are never
negative, so an extra fired rule never lowers one; a rule that raises, or reads a fact that could
not be computed, fails closed at ``scoring.error_outcome`` (at least ``review``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from kustodia_domain.fraud.errors import RulesetLoadError
from kustodia_domain.fraud.facts.catalog import FactCatalog, FactRequest
from kustodia_domain.fraud.rules import Rule
from kustodia_domain.fraud.scoring import Scoring
from kustodia_domain.fraud.screening import FactValue, FiredRule, RiskDecision
from kustodia_domain.fraud.settings import Settings
from kustodia_domain.fraud.validation import rule_problems, settings_canonical

_KIND = "event.kind"


class Ruleset:
    """Rules plus scoring and settings, identified by the sha256 of their canonical form.

    Raises:
        RulesetLoadError: at construction, if rule ids repeat, a rule reads a fact the catalog
            does not define, a score is negative, or an outcome, action or event kind is unknown.
    """

    __slots__ = (
        "_by_kind",
        "_facts",
        "_needs",
        "catalog",
        "description",
        "digest",
        "name",
        "rules",
        "scoring",
        "settings",
        "version",
    )

    def __init__(
        self,
        *,
        name: str,
        version: str,
        rules: Iterable[Rule],
        catalog: FactCatalog,
        scoring: Scoring | None = None,
        settings: Settings | None = None,
        description: str = "",
    ) -> None:
        self.name, self.version, self.description = name, version, description
        self.rules = tuple(sorted(rules, key=lambda rule: rule.rule_id))
        self.scoring = scoring or Scoring()
        self.settings = settings or Settings()
        self.catalog = catalog
        problems = [*self.scoring.problems(), *rule_problems(self.rules, catalog)]
        if problems:
            raise RulesetLoadError(self.label, tuple(problems))
        self.digest = hashlib.sha256(self.canonical_bytes()).hexdigest()
        self._by_kind: dict[str, tuple[Rule, ...]] = {}
        self._facts: dict[str, tuple[FactRequest, ...]] = {}
        self._needs: dict[str, frozenset[str]] = {}

    @property
    def label(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def canonical_bytes(self) -> bytes:
        """The canonical JSON of everything that affects a decision (what the digest hashes)."""
        document = {
            "ruleset": {
                "name": self.name,
                "version": self.version,
                "description": self.description,
            },
            "scoring": {
                "review_at": self.scoring.review_at,
                "hold_at": self.scoring.hold_at,
                "block_at": self.scoring.block_at,
                "error_outcome": self.scoring.error_outcome.label,
            },
            "settings": settings_canonical(self.settings),
            "rules": [rule.canonical() for rule in self.rules],
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        """Enabled rules that apply to ``kind``, in id order."""
        found = self._by_kind.get(kind)
        if found is None:
            found = tuple(rule for rule in self.rules if rule.applies_to(kind))
            self._by_kind[kind] = found
        return found

    def facts_for(self, kind: str) -> tuple[FactRequest, ...]:
        """Every fact the rules for ``kind`` read, plus ``event.kind``.

        Ordered widest window first (then by key), so that narrower windows over the same
        history are cut from what was already fetched instead of queried again.
        """
        found = self._facts.get(kind)
        if found is None:
            wanted = {r.key: r for rule in self.rules_for(kind) for r in rule.facts}
            wanted.setdefault(_KIND, self.catalog.request(_KIND))
            found = tuple(sorted(wanted.values(), key=_widest_first))
            self._facts[kind] = found
        return found

    def needs_for(self, kind: str) -> frozenset[str]:
        """What the facts for ``kind`` need prepared (``profiles``, ``lists``)."""
        found = self._needs.get(kind)
        if found is None:
            found = frozenset(n for request in self.facts_for(kind) for n in request.family.needs)
            self._needs[kind] = found
        return found

    def decide(
        self,
        event_id: str,
        facts: Mapping[str, FactValue],
        fact_errors: Mapping[str, str] | None = None,
    ) -> RiskDecision:
        """The decision for an event described by ``facts`` (must include ``event.kind``).

        Pure: the same ``facts``, ``fact_errors`` and ruleset digest give the same decision.
        """
        kind = facts.get(_KIND)
        errors = dict(fact_errors) if fact_errors else {}
        fired: list[FiredRule] = []
        for rule in self.rules_for(kind if isinstance(kind, str) else ""):
            broken = _unavailable(rule, errors) if errors else ""
            if broken:
                fired.append(self._failed(rule, f"could not compute {broken}"))
                continue
            try:
                result = rule.condition(facts)
            except Exception as exc:  # any failure of a rule fails closed
                fired.append(self._failed(rule, f"{type(exc).__name__}: {exc}"))
                continue
            if result is True:
                fired.append(_hit(rule, facts))
        if fired:
            score = sum(hit.score for hit in fired)
            outcome = max(*(hit.outcome for hit in fired), self.scoring.outcome_for(score))
            actions = tuple(sorted({action for hit in fired for action in hit.actions}))
        else:  # most events: no rule fired, so no generators to run
            score, outcome, actions = 0, self.scoring.outcome_for(0), ()
        return RiskDecision(
            event_id=event_id,
            outcome=outcome,
            score=score,
            fired=tuple(fired),
            ruleset=self.digest,
            facts=dict(facts),
            actions=actions,
            fact_errors=errors,
            ruleset_label=self.label,
        )

    def _failed(self, rule: Rule, why: str) -> FiredRule:
        return FiredRule(
            rule_id=rule.rule_id,
            outcome=self.scoring.error_outcome,
            score=0,
            explanation=f"{rule.title}: failed closed, {why}",
            parameters=dict(rule.parameter_values),
            failed=True,
        )


def _unavailable(rule: Rule, errors: Mapping[str, str]) -> str:
    """The facts ``rule`` reads that could not be computed, with why; empty if none."""
    return "; ".join(f"{r.key} ({errors[r.key]})" for r in rule.facts if r.key in errors)


def _hit(rule: Rule, facts: Mapping[str, FactValue]) -> FiredRule:
    try:
        explanation = rule.explain(facts)
    except Exception as exc:  # a broken explanation must not unfire a rule
        explanation = f"{rule.title} (explanation failed: {type(exc).__name__})"
    return FiredRule(
        rule_id=rule.rule_id,
        outcome=rule.outcome,
        score=rule.score,
        explanation=explanation,
        parameters=dict(rule.parameter_values),
        actions=rule.actions,
    )


def _widest_first(request: FactRequest) -> tuple[int, str]:
    kinds = request.family.args
    window = request.args[0] if kinds and kinds[0] == "duration" else 0
    return (-window, request.key)
