"""The condition language: checked at load, typed, three-valued, never ``eval``."""

from __future__ import annotations

import pytest

from kustodia_domain.fraud.conditions.compiler import compile_condition
from kustodia_domain.fraud.conditions.references import ConditionError, ParamValue
from kustodia_domain.fraud.conditions.templates import compile_template
from kustodia_domain.fraud.durations import Duration
from kustodia_domain.fraud.facts.default_catalog import default_catalog
from kustodia_domain.fraud.screening import FactValue


def holds(text: str, facts: dict[str, FactValue], **params: ParamValue) -> object:
    return compile_condition(text, params, default_catalog()).evaluate(facts)


def error_of(text: str, **params: ParamValue) -> ConditionError:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text, params, default_catalog())
    return caught.value


def test_a_comparison_of_a_fact_with_a_parameter_reads_both() -> None:
    condition = compile_condition(
        "event.amount_minor >= params.minimum", {"minimum": 100}, default_catalog()
    )

    assert condition.evaluate({"event.amount_minor": 100}) is True
    assert condition.evaluate({"event.amount_minor": 99}) is False
    assert [r.key for r in condition.facts] == ["event.amount_minor"]
    assert condition.params == {"minimum"}


def test_an_indexed_fact_takes_a_window_from_a_literal_or_a_parameter() -> None:
    literal = compile_condition('payer.funded_minor["24h"] > 0', {}, default_catalog())
    param = compile_condition(
        "payer.funded_minor[params.window] > 0", {"window": Duration.parse("1d")}, default_catalog()
    )

    assert (
        [r.key for r in literal.facts] == [r.key for r in param.facts] == ["payer.funded_minor[1d]"]
    )


def test_durations_compare_as_seconds() -> None:
    assert (
        holds(
            "payer.account_age_seconds < params.age",
            {"payer.account_age_seconds": 604_799},
            age=Duration.parse("7d"),
        )
        is True
    )
    assert (
        holds(
            "payer.account_age_seconds < params.age",
            {"payer.account_age_seconds": 604_800},
            age=Duration.parse("7d"),
        )
        is False
    )


def test_a_missing_fact_makes_a_comparison_unknown_and_the_rule_does_not_fire() -> None:
    assert holds("event.amount_minor > 5", {"event.amount_minor": None}) is None
    assert holds("not (event.amount_minor > 5)", {"event.amount_minor": None}) is None
    assert holds("event.amount_minor + 1 > 5", {"event.amount_minor": None}) is None


def test_and_is_false_when_any_side_is_false_even_if_the_other_is_unknown() -> None:
    facts: dict[str, FactValue] = {"event.amount_minor": None, "event.kind": "payout"}

    assert holds('event.kind == "release" and event.amount_minor > 5', facts) is False
    assert holds('event.kind == "payout" and event.amount_minor > 5', facts) is None


def test_or_is_true_when_any_side_is_true_even_if_the_other_is_unknown() -> None:
    facts: dict[str, FactValue] = {"event.amount_minor": None, "event.kind": "payout"}

    assert holds('event.kind == "payout" or event.amount_minor > 5', facts) is True
    assert holds('event.kind == "release" or event.amount_minor > 5', facts) is None


def test_is_none_tests_for_a_missing_value_explicitly() -> None:
    assert holds("override.of_outcome is None", {"override.of_outcome": None}) is True
    assert holds("override.of_outcome is not None", {"override.of_outcome": "hold"}) is True


def test_membership_reads_a_list_parameter_or_a_literal_list() -> None:
    facts: dict[str, FactValue] = {"event.escrow_kind": "standard"}

    assert holds("event.escrow_kind in params.kinds", facts, kinds=("standard",)) is True
    assert holds('event.escrow_kind not in ["standard"]', facts) is False
    assert holds("event.escrow_kind in params.kinds", facts, kinds=()) is False


def test_chained_comparisons_and_integer_arithmetic_work() -> None:
    facts: dict[str, FactValue] = {"event.local_hour": 3, "event.amount_minor": 1_000_000}

    assert holds("0 <= event.local_hour < 5", facts) is True
    assert holds("event.amount_minor % 500000 == 0", facts) is True
    assert holds("event.amount_minor // 3 * 3 + -1 < event.amount_minor", facts) is True


def test_a_condition_may_span_several_lines() -> None:
    text = """
    event.amount_minor > 1
    and event.local_hour < 5
    """

    assert holds(text, {"event.amount_minor": 2, "event.local_hour": 1}) is True


def test_an_unknown_fact_is_a_load_error_with_a_suggestion() -> None:
    error = error_of("payer.funded_minr['1d'] > 0")

    assert error.kind == "unknown fact"
    assert "payer.funded_minor" in str(error)


def test_a_parameter_the_rule_does_not_declare_is_a_load_error() -> None:
    error = error_of("event.amount_minor > params.limit", other=1)

    assert error.kind == "missing parameter"
    assert "params.limit" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        "event.amount_minor >",  # syntax
        "event.amount_minor",  # not a boolean
        "event.kind > 3",  # str with int
        "event.amount_minor > 1.5",  # float
        "__import__('os').system('true')",  # a call
        "(lambda: True)()",  # a lambda
        "event.amount_minor / 2 > 1",  # true division
        "payer.funded_minor > 0",  # an indexed fact without its window
        'event.amount_minor["1d"] > 0',  # a plain fact with a window
        'payer.funded_minor["soon"] > 0',  # not a duration
        "event.amount_minor is 3",  # is with something other than None
        "event.kind in [1, 2]",  # list of the wrong type
        "not event.amount_minor",  # not on an int
    ],
)
def test_a_broken_condition_is_a_load_error(text: str) -> None:
    assert error_of(text).kind in {"bad condition", "unknown fact"}


def test_an_explanation_renders_facts_parameters_and_money() -> None:
    template = compile_template(
        "{event.amount_minor:mxn} in {params.window} ({payer.funded_escrows[params.window]})",
        {"window": Duration.parse("24h")},
        default_catalog(),
    )

    text = template.render({"event.amount_minor": 123_456, "payer.funded_escrows[1d]": 3})

    assert text == "1,234.56 MXN in 1d (3)"
    assert template.params == {"window"}


def test_an_explanation_that_names_an_unknown_fact_is_a_load_error() -> None:
    with pytest.raises(ConditionError, match="unknown fact"):
        compile_template("{payer.nonsense}", {}, default_catalog())
