"""Decisions: the maximum of fired outcomes and score, fail closed, self-describing."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import pytest

from kustodia_domain.fraud.errors import RulesetLoadError
from kustodia_domain.fraud.facts.catalog import FactCatalog, FactFamily
from kustodia_domain.fraud.facts.default_catalog import default_catalog
from kustodia_domain.fraud.rules import Rule
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.scoring import Scoring
from kustodia_domain.fraud.screening import FactValue, Outcome

AMOUNT = "event.amount_minor"


def rule(
    rule_id: str,
    *,
    outcome: Outcome = Outcome.FLAG,
    score: int = 0,
    when: int = 0,
    actions: tuple[str, ...] = (),
    raises: bool = False,
) -> Rule:
    """A rule on escrow.fund that fires when the amount is at least ``when``."""

    def condition(facts: Mapping[str, FactValue]) -> object:
        if raises:
            raise ZeroDivisionError("integer division by zero")
        amount = facts[AMOUNT]
        return isinstance(amount, int) and amount >= when

    return Rule(
        rule_id=rule_id,
        title=f"rule {rule_id}",
        severity="medium",
        events=frozenset({"escrow.fund"}),
        outcome=outcome,
        score=score,
        condition=condition,
        explain=lambda facts: f"amount {facts[AMOUNT]}",
        facts=(default_catalog().request(AMOUNT),),
        params={"when": when},
        actions=actions,
        condition_text=f"amount >= {when}",
    )


def ruleset(*rules: Rule, scoring: Scoring | None = None) -> Ruleset:
    return Ruleset(name="t", version="1", rules=rules, catalog=default_catalog(), scoring=scoring)


def facts(amount: int | None = 100) -> dict[str, FactValue]:
    return {"event.kind": "escrow.fund", AMOUNT: amount}


def test_the_outcome_is_the_highest_outcome_a_fired_rule_asks_for() -> None:
    decision = ruleset(
        rule("A-1", outcome=Outcome.REVIEW),
        rule("A-2", outcome=Outcome.HOLD),
        rule("A-3", outcome=Outcome.BLOCK, when=1_000),
    ).decide("evt", facts())

    assert decision.outcome is Outcome.HOLD
    assert decision.reasons == ("A-1", "A-2")


def test_scores_add_up_and_reach_the_review_and_hold_thresholds() -> None:
    rules = [rule(f"S-{i}", score=20) for i in range(4)]

    two, four = ruleset(*rules[:2]).decide("e", facts()), ruleset(*rules).decide("e", facts())

    assert (two.score, two.outcome) == (40, Outcome.REVIEW)
    assert (four.score, four.outcome) == (80, Outcome.HOLD)


def test_a_score_alone_blocks_only_when_a_block_threshold_is_set() -> None:
    scoring = Scoring(review_at=10, hold_at=20, block_at=30)

    decision = ruleset(rule("S-1", score=30), scoring=scoring).decide("e", facts())

    assert decision.outcome is Outcome.BLOCK


def test_a_rule_that_raises_fails_closed_at_review_and_says_so() -> None:
    decision = ruleset(rule("E-1", raises=True, outcome=Outcome.FLAG)).decide("e", facts())

    assert decision.outcome is Outcome.REVIEW
    (failed,) = decision.fired
    assert failed.failed
    assert "failed closed" in failed.explanation
    assert "ZeroDivisionError" in failed.explanation


def test_a_rule_reading_a_fact_that_could_not_be_computed_fails_closed() -> None:
    decision = ruleset(rule("E-2")).decide(
        "e", facts(None), fact_errors={AMOUNT: "StorageError: timeout"}
    )

    assert decision.outcome is Outcome.REVIEW
    assert decision.fired[0].failed
    assert "event.amount_minor (StorageError: timeout)" in decision.fired[0].explanation
    assert decision.fact_errors == {AMOUNT: "StorageError: timeout"}


def test_the_failure_outcome_is_a_scoring_parameter_of_at_least_review() -> None:
    scoring = Scoring(error_outcome=Outcome.HOLD)

    decision = ruleset(rule("E-3", raises=True), scoring=scoring).decide("e", facts())

    assert decision.outcome is Outcome.HOLD


def test_an_unknown_condition_result_does_not_fire() -> None:
    decision = ruleset(rule("U-1")).decide("e", facts(None))

    assert (decision.outcome, decision.fired) == (Outcome.ALLOW, ())


def test_a_decision_records_facts_parameters_actions_and_the_ruleset() -> None:
    engine = ruleset(
        rule("P-1", when=50, actions=("step_up",)),
        rule("P-2", actions=("watchlist_clabe", "step_up")),
    )

    decision = engine.decide("evt_9", facts(60))

    assert decision.event_id == "evt_9"
    assert decision.facts == facts(60)
    assert decision.ruleset == engine.digest
    assert decision.ruleset_label == "t@1"
    assert decision.fired[0].parameters == {"when": 50}
    assert decision.fired[0].explanation == "amount 60"
    assert decision.actions == ("step_up", "watchlist_clabe")


def test_rules_for_other_event_kinds_are_not_evaluated() -> None:
    decision = ruleset(rule("K-1", raises=True)).decide("e", {"event.kind": "payout", AMOUNT: 5})

    assert decision.outcome is Outcome.ALLOW


def test_a_rule_reading_a_fact_outside_the_catalog_is_rejected_when_the_ruleset_is_built() -> None:
    async def provider(ctx: object, args: tuple[int, ...]) -> FactValue:
        return 1

    stray = FactCatalog([FactFamily(name=AMOUNT, type="int", doc="", provider=provider)])
    foreign = attrs.evolve(rule("F-1"), facts=(stray.request(AMOUNT),))

    with pytest.raises(RulesetLoadError, match="unknown fact"):
        ruleset(foreign)


def test_a_negative_score_is_rejected_because_it_could_lower_a_decision() -> None:
    with pytest.raises(RulesetLoadError, match="score must be"):
        ruleset(rule("N-1", score=-1))
