"""Loading rulesets from TOML, checked before anything runs.

A ruleset file has a ``[ruleset]`` table (``name``, ``version``, ``description``), optional
``[scoring]`` and ``[settings]`` tables, and ``[[rules]]`` entries::

    [[rules]]
    id = "ESC-VEL-01"
    title = "Payer funding velocity"
    severity = "medium"
    events = ["escrow.fund"]
    when = 'payer.funded_escrows[params.window] >= params.max_escrows'
    explain = "payer funded {payer.funded_escrows[params.window]} escrows in {params.window}"
    outcome = "review"
    score = 0
    actions = []
    params = { window = "24h", max_escrows = 5 }

Every problem (unknown key, unknown fact, missing or unused parameter, bad condition, bad
outcome, action or event kind) is collected and reported together in one ``RulesetLoadError``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from kustodia_domain.fraud.conditions.compiler import compile_condition
from kustodia_domain.fraud.conditions.references import ConditionError
from kustodia_domain.fraud.conditions.templates import compile_template
from kustodia_domain.fraud.errors import RulesetLoadError
from kustodia_domain.fraud.facts.catalog import FactCatalog
from kustodia_domain.fraud.facts.default_catalog import default_catalog
from kustodia_domain.fraud.rules import Rule
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.ruleset_sections import (
    outcome_named,
    parse_params,
    parse_scoring,
    parse_settings,
    unknown_keys,
)

_TOP_KEYS = {"ruleset", "scoring", "settings", "rules"}
_META_KEYS = {"name", "version", "description"}
_RULE_KEYS = {
    "id",
    "title",
    "severity",
    "events",
    "when",
    "explain",
    "outcome",
    "score",
    "actions",
    "params",
    "enabled",
}
_REQUIRED = ("id", "title", "severity", "events", "when", "outcome")


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _rule(
    table: Mapping[str, object], where: str, catalog: FactCatalog, problems: list[str]
) -> Rule | None:
    found = unknown_keys(table, _RULE_KEYS, where)
    found += [f"{where}: missing key {key!r}" for key in _REQUIRED if key not in table]
    params = parse_params(table.get("params", {}), where, found)
    outcome = outcome_named(table.get("outcome"))
    events, actions = _strings(table.get("events")), _strings(table.get("actions", []))
    score, enabled = table.get("score", 0), table.get("enabled", True)
    if outcome is None:
        found.append(f"{where}: outcome must be allow, flag, review, hold or block")
    if events is None or actions is None:
        found.append(f"{where}: events and actions are lists of strings")
    if isinstance(score, bool) or not isinstance(score, int) or not isinstance(enabled, bool):
        found.append(f"{where}: score is a whole number and enabled a boolean")
        score = 0
    title = str(table.get("title", ""))
    try:
        condition = compile_condition(str(table.get("when", "")), params, catalog)
        template = compile_template(str(table.get("explain", title)), params, catalog)
    except ConditionError as exc:
        found.append(f"{where}: {exc}")
        problems.extend(found)
        return None
    unused = sorted(set(params) - condition.params - template.params)
    if unused:
        found.append(f"{where}: parameter(s) {', '.join(unused)} declared but never used")
    problems.extend(found)
    if found or outcome is None or events is None or actions is None:
        return None
    facts = {r.key: r for r in (*condition.facts, *template.facts)}
    return Rule(
        rule_id=str(table["id"]),
        title=title,
        severity=str(table["severity"]),
        events=frozenset(events),
        outcome=outcome,
        score=score,
        condition=condition.evaluate,
        explain=template.render,
        facts=tuple(facts[key] for key in sorted(facts)),
        params=params,
        actions=actions,
        condition_text=condition.text,
        explain_text=template.text,
        enabled=bool(enabled),
    )


def load_ruleset(
    text: str, *, source: str = "<string>", catalog: FactCatalog | None = None
) -> Ruleset:
    """Parse and check a ruleset written in TOML.

    Raises:
        RulesetLoadError: the text is not TOML or the ruleset has problems (all listed).
    """
    facts = catalog or default_catalog()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesetLoadError(source, (f"not valid TOML: {exc}",)) from exc
    problems = unknown_keys(data, _TOP_KEYS, "file")
    meta = data.get("ruleset", {})
    if not isinstance(meta, dict):
        meta = {}
    problems += unknown_keys(meta, _META_KEYS, "ruleset")
    if not isinstance(meta.get("name"), str) or not isinstance(meta.get("version"), str):
        problems.append("ruleset: name and version are required strings")
    scoring = parse_scoring(data.get("scoring", {}), problems)
    settings = parse_settings(data.get("settings", {}), problems)
    rules = []
    for index, table in enumerate(data.get("rules", [])):
        if not isinstance(table, dict):
            problems.append(f"rules[{index}]: each rule is a [[rules]] table")
            continue
        where = f"rule {table.get('id')}" if isinstance(table.get("id"), str) else f"rules[{index}]"
        rule = _rule(table, where, facts, problems)
        if rule is not None:
            rules.append(rule)
    if not data.get("rules"):
        problems.append("file: a ruleset needs at least one [[rules]] entry")
    if problems:
        raise RulesetLoadError(source, tuple(problems))
    try:
        return Ruleset(
            name=meta["name"],
            version=meta["version"],
            rules=rules,
            catalog=facts,
            scoring=scoring,
            settings=settings,
            description=str(meta.get("description", "")),
        )
    except RulesetLoadError as exc:
        raise RulesetLoadError(source, exc.problems) from None


def load_ruleset_file(path: Path) -> Ruleset:
    """Load the ruleset in the UTF-8 TOML file at ``path`` (see :func:`load_ruleset`)."""
    return load_ruleset(path.read_text(encoding="utf-8"), source=str(path))


@cache
def default_ruleset() -> Ruleset:
    """The ruleset shipped with the package (``rulesets/default.toml``), loaded once."""
    text = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return load_ruleset(text.read_text(encoding="utf-8"), source="default.toml")
