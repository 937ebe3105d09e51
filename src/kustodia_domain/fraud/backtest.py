"""Backtesting and shadow reports: what a candidate ruleset would have decided.

``backtest`` replays every stored event through a candidate ruleset with the facts as they were
at the event's time (history entries recorded before it, profile versions and list entries in
force then) and compares with the decision that was stored. Replaying the active ruleset must
reproduce every stored decision exactly (``report.reproduced``). ``shadow_report`` gives the same
comparison for a ruleset that ran in shadow mode, from the shadow decisions already stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from kustodia_domain.fraud.evaluation import decide_event
from kustodia_domain.fraud.facts.context import FactSources
from kustodia_domain.fraud.history import HistoryEntry
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent


@attrs.frozen(kw_only=True)
class DecisionChange:
    """One event whose outcome or fired rules differ between stored and candidate."""

    event_id: str
    kind: str
    before: Outcome
    after: Outcome
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]


@attrs.frozen(kw_only=True)
class RuleChange:
    """How often one rule fired before and after, and on how many events that changed."""

    rule_id: str
    fired_before: int
    fired_after: int
    newly_fired: int
    no_longer_fired: int


@attrs.frozen(kw_only=True)
class BacktestReport:
    """The comparison of stored decisions with a candidate ruleset's decisions."""

    ruleset: str
    events: int
    exact: int
    """Candidate decisions equal to the stored ones in every field (facts included)."""
    changes: tuple[DecisionChange, ...]
    rules: tuple[RuleChange, ...]
    outcomes_before: Mapping[str, int]
    outcomes_after: Mapping[str, int]

    @property
    def reproduced(self) -> bool:
        """Whether every stored decision was reproduced exactly."""
        return self.exact == self.events


def compare(
    ruleset: str, triples: Iterable[tuple[RiskEvent, RiskDecision, RiskDecision]]
) -> BacktestReport:
    """Compare ``(event, stored, candidate)`` decisions, per event and per rule."""
    events = exact = 0
    changes: list[DecisionChange] = []
    before_counts: Counter[str] = Counter()
    after_counts: Counter[str] = Counter()
    fired_before: Counter[str] = Counter()
    fired_after: Counter[str] = Counter()
    added: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for event, stored, candidate in triples:
        events += 1
        exact += stored == candidate
        before, after = set(stored.reasons), set(candidate.reasons)
        before_counts[stored.outcome.label] += 1
        after_counts[candidate.outcome.label] += 1
        fired_before.update(before)
        fired_after.update(after)
        added.update(after - before)
        removed.update(before - after)
        if stored.outcome != candidate.outcome or before != after:
            changes.append(
                DecisionChange(
                    event_id=event.event_id,
                    kind=event.kind,
                    before=stored.outcome,
                    after=candidate.outcome,
                    rules_added=tuple(sorted(after - before)),
                    rules_removed=tuple(sorted(before - after)),
                )
            )
    rules = tuple(
        RuleChange(
            rule_id=rule_id,
            fired_before=fired_before[rule_id],
            fired_after=fired_after[rule_id],
            newly_fired=added[rule_id],
            no_longer_fired=removed[rule_id],
        )
        for rule_id in sorted(set(fired_before) | set(fired_after))
    )
    return BacktestReport(
        ruleset=ruleset,
        events=events,
        exact=exact,
        changes=tuple(changes),
        rules=rules,
        outcomes_before=dict(before_counts),
        outcomes_after=dict(after_counts),
    )


def _in_range(entry: HistoryEntry, since: datetime | None, until: datetime | None) -> bool:
    at = entry.event.occurred_at
    return (since is None or at >= since) and (until is None or at < until)


async def backtest(
    candidate: Ruleset,
    sources: FactSources,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> BacktestReport:
    """Replay the stored history (optionally ``since <= occurred_at < until``) on ``candidate``."""
    triples: list[tuple[RiskEvent, RiskDecision, RiskDecision]] = []
    for entry in await sources.history.entries():
        if not _in_range(entry, since, until):
            continue
        decision, _ = await decide_event(
            entry.event, candidate, sources, recorded_before=entry.sequence
        )
        triples.append((entry.event, entry.decision, decision))
    return compare(candidate.digest, triples)


def shadow_report(entries: Sequence[HistoryEntry], ruleset: str) -> BacktestReport:
    """Compare the active decisions with the stored shadow decisions of ruleset ``ruleset``."""
    triples = [
        (entry.event, entry.decision, shadow)
        for entry in entries
        for shadow in entry.shadow
        if shadow.ruleset == ruleset
    ]
    return compare(ruleset, triples)
