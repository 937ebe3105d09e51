"""Rulesets: loaded from TOML, checked before anything runs, identified by a content hash."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from kustodia_domain.fraud.errors import RulesetLoadError
from kustodia_domain.fraud.ruleset_files import default_ruleset, load_ruleset, load_ruleset_file
from kustodia_domain.fraud.screening import Outcome

MINIMAL = """
[ruleset]
name = "t"
version = "1"

[[rules]]
id = "ESC-AMT-01"
title = "New account, large amount"
severity = "high"
events = ["escrow.fund"]
when = 'payer.account_age_seconds < params.max_age and event.amount_minor >= params.min_amount'
outcome = "hold"
params = { max_age = "7d", min_amount = 2_000_000 }
"""


def default_text() -> str:
    toml = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return toml.read_text(encoding="utf-8")


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(RulesetLoadError) as caught:
        load_ruleset(text)
    assert caught.value.code == "risk.ruleset.invalid"
    return caught.value.problems


def test_the_default_ruleset_ships_at_least_thirty_catalogue_rules() -> None:
    ruleset = default_ruleset()

    assert len(ruleset.rules) >= 30
    assert ruleset.label == "default@2026.1"
    assert re.fullmatch(r"[0-9a-f]{64}", ruleset.digest)


def test_the_default_ruleset_covers_every_critical_and_high_rule_the_events_can_feed() -> None:
    shipped = {rule.rule_id.split(".")[0] for rule in default_ruleset().rules}
    fed_by_events = {
        "ESC-KYC-01", "ESC-KYC-02", "ESC-KYC-03", "ESC-KYC-04", "ESC-KYC-05", "ESC-LST-01",
        "ESC-LST-02", "ESC-LST-03", "ESC-SPEI-02", "ESC-SPEI-03", "ESC-SPEI-05", "ESC-AMT-01",
        "ESC-VEL-02", "ESC-VEL-03", "ESC-VEL-04", "ESC-SELF-01", "ESC-SELF-02", "ESC-SELF-03",
        "ESC-REL-02", "ESC-DSP-03", "ESC-DSP-04", "ESC-GOV-01",
    }  # fmt: skip

    assert fed_by_events <= shipped


def test_rule_order_whitespace_and_duration_spelling_do_not_change_the_hash() -> None:
    text = default_text()
    blocks = text.split("[[rules]]")
    reordered = blocks[0] + "[[rules]]" + "[[rules]]".join(reversed(blocks[1:]))
    respelled = text.replace('window = "24h"', 'window = "1d"').replace(" >= ", ">=")

    assert load_ruleset(reordered).digest == default_ruleset().digest
    assert load_ruleset(respelled).digest == default_ruleset().digest


def test_changing_one_threshold_changes_the_hash() -> None:
    changed = default_text().replace("max_escrows = 5", "max_escrows = 6")

    assert load_ruleset(changed).digest != default_ruleset().digest


def test_a_minimal_file_loads_with_default_scoring_and_settings() -> None:
    ruleset = load_ruleset(MINIMAL)

    assert [rule.rule_id for rule in ruleset.rules] == ["ESC-AMT-01"]
    assert (ruleset.scoring.review_at, ruleset.scoring.hold_at) == (40, 70)
    assert ruleset.settings.timezone == "America/Mexico_City"


def test_a_ruleset_loads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "candidate.toml"
    path.write_text(MINIMAL, encoding="utf-8")

    assert load_ruleset_file(path).label == "t@1"


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    broken = (
        MINIMAL.replace("payer.account_age_seconds", "payer.acount_age_seconds").replace(
            'outcome = "hold"', 'outcome = "freeze"'
        )
        + '\n[[rules]]\nid = "ESC-X-01"\ntitle = "x"\n'
    )

    problems = problems_of(broken)

    assert any("unknown fact" in p and "payer.account_age_seconds" in p for p in problems)
    assert any("outcome must be" in p for p in problems)
    assert any("missing key 'when'" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("min_amount = 2_000_000", "min_amount = 20000.0"), "is a float"),
        (("params.min_amount", "params.minimum"), "missing parameter: params.minimum"),
        (('max_age = "7d",', 'max_age = "7d", spare = 1,'), "spare declared but never used"),
        (('events = ["escrow.fund"]', 'events = ["escrow.funded"]'), "unknown event kind"),
        (('outcome = "hold"', 'outcome = "hold"\nactions = ["shrug"]'), "unknown action"),
        (('outcome = "hold"', 'outcome = "hold"\nscore = -5'), "score must be"),
        (('severity = "high"', 'severity = "urgent"'), "severity must be"),
        (('outcome = "hold"', 'outcome = "hold"\nwhen_ever = 1'), "unknown key 'when_ever'"),
        (("and event.amount_minor", "and and event.amount_minor"), "bad condition"),
        (('version = "1"', "version = 1"), "name and version are required"),
        (("[[rules]]", '[scoring]\nerror_outcome = "flag"\n\n[[rules]]'), "fail closed"),
        (("[[rules]]", "[scoring]\nreview_at = 80\n\n[[rules]]"), "review_at <= hold_at"),
        (("[[rules]]", '[settings]\ntimezone = "Mars/Olympus"\n\n[[rules]]'), "time zone"),
        (("[[rules]]", "[settings]\nkyc_level_caps_udis = [3000, 750]\n\n[[rules]]"), "ascend"),
        (("[[rules]]", "[settings]\nudi = [{ from = 2026-01-01 }]\n\n[[rules]]"), "udi rows"),
        (('id = "ESC-AMT-01"', 'id = "amt one"'), "ids look like"),
    ],
)
def test_a_broken_file_is_a_load_error_that_says_what_is_wrong(
    change: tuple[str, str], message: str
) -> None:
    problems = problems_of(MINIMAL.replace(*change))

    assert any(message in problem for problem in problems), problems


def test_two_rules_with_one_id_are_a_load_error() -> None:
    rule = MINIMAL.split("[[rules]]")[1]

    assert any("defined 2 times" in p for p in problems_of(MINIMAL + "[[rules]]" + rule))


def test_text_that_is_not_toml_is_a_load_error() -> None:
    assert problems_of("[[rules")[0].startswith("not valid TOML")


def test_the_load_error_message_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(RulesetLoadError) as caught:
        load_ruleset(MINIMAL.replace("params.min_amount", "params.nope"), source="ops.toml")

    assert str(caught.value).startswith("ruleset ops.toml is invalid:\n  - rule ESC-AMT-01:")


def test_a_rule_can_be_disabled_without_leaving_the_hash() -> None:
    disabled = load_ruleset(
        MINIMAL.replace('outcome = "hold"', 'outcome = "hold"\nenabled = false')
    )

    assert disabled.rules_for("escrow.fund") == ()
    assert disabled.digest != load_ruleset(MINIMAL).digest


def test_score_thresholds_give_review_and_hold() -> None:
    scoring = default_ruleset().scoring

    assert [scoring.outcome_for(s) for s in (0, 1, 39, 40, 69, 70, 10_000)] == [
        Outcome.ALLOW, Outcome.FLAG, Outcome.FLAG, Outcome.REVIEW, Outcome.REVIEW, Outcome.HOLD,
        Outcome.HOLD,
    ]  # fmt: skip


def test_rules_that_are_not_tables_are_a_load_error() -> None:
    problems = problems_of('rules = [1]\n[ruleset]\nname = "t"\nversion = "1"\n')

    assert problems == ("rules[0]: each rule is a [[rules]] table",)
