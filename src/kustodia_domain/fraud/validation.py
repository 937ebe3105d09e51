"""Structural checks of rules and the canonical form of settings (shared by every loader)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from kustodia_domain.fraud.facts.catalog import FactCatalog
from kustodia_domain.fraud.rules import Rule
from kustodia_domain.fraud.settings import Settings
from kustodia_domain.fraud.vocabulary import ACTIONS, ANY_KIND, EVENT_KINDS, SEVERITIES

_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*(\.[a-z0-9_]+)?$")


def _one_rule(rule: Rule, catalog: FactCatalog) -> list[str]:
    where = f"rule {rule.rule_id}"
    found: list[str] = []
    if not _RULE_ID.match(rule.rule_id):
        found.append(f"{where}: ids look like ESC-KYC-01 (optionally .suffix)")
    if rule.severity not in SEVERITIES:
        found.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    unknown_kinds = sorted(rule.events - EVENT_KINDS - {ANY_KIND})
    if not rule.events or unknown_kinds:
        found.append(f"{where}: unknown event kind(s) {unknown_kinds or '(none given)'}")
    if rule.score < 0:
        # A negative score could make an extra fired rule lower a decision.
        found.append(f"{where}: score must be a whole number >= 0")
    unknown_actions = sorted(set(rule.actions) - ACTIONS)
    if unknown_actions:
        found.append(f"{where}: unknown action(s) {unknown_actions}")
    found.extend(
        f"{where}: unknown fact {request.key!r}"
        for request in rule.facts
        if catalog.get(request.family.name) is not request.family
    )
    return found


def rule_problems(rules: Iterable[Rule], catalog: FactCatalog) -> list[str]:
    """Every structural problem of ``rules`` against ``catalog``, one message each."""
    listed = list(rules)
    found = [
        f"rule {rule_id}: defined {count} times"
        for rule_id, count in sorted(Counter(r.rule_id for r in listed).items())
        if count > 1
    ]
    for rule in listed:
        found.extend(_one_rule(rule, catalog))
    return found


def settings_canonical(settings: Settings) -> dict[str, object]:
    """The settings in canonical (hashed) form."""
    return {
        "timezone": settings.timezone,
        "kyc_level_caps_udis": list(settings.kyc_level_caps_udis),
        "udi": [[u.valid_from.isoformat(), u.micro_mxn] for u in settings.udi],
        "reporting_thresholds_minor": list(settings.reporting_thresholds_minor),
    }
