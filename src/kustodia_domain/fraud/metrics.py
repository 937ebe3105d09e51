"""Per-rule metrics: how often each rule fires, with what outcomes, and how often it was right.

"Right" is what happened later: the alert raised for the event was confirmed as fraud (or
cleared as a false positive), or the event's escrow ended in a dispute its payee lost. Metrics
can be computed for the active ruleset or, from stored shadow decisions, for a candidate.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

import attrs

from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.fraud.history import HistoryEntry
from kustodia_domain.fraud.screening import RiskDecision


@attrs.frozen(kw_only=True)
class RuleMetrics:
    """One rule's record over a set of decisions."""

    rule_id: str
    fired: int
    failed: int
    outcomes: Mapping[str, int]
    confirmed_fraud: int
    cleared: int
    lost_disputes: int

    @property
    def precision_permille(self) -> int | None:
        """Confirmed fraud per thousand resolved alerts; ``None`` before any is resolved."""
        resolved = self.confirmed_fraud + self.cleared
        return None if resolved == 0 else self.confirmed_fraud * 1_000 // resolved


def _decision(entry: HistoryEntry, ruleset: str | None) -> RiskDecision | None:
    if ruleset is None or entry.decision.ruleset == ruleset:
        return entry.decision
    return next((d for d in entry.shadow if d.ruleset == ruleset), None)


def rule_metrics(
    entries: Sequence[HistoryEntry],
    *,
    ruleset: str | None = None,
    alerts: Iterable[Alert] = (),
    lost_dispute_escrows: Collection[str] = (),
) -> tuple[RuleMetrics, ...]:
    """Metrics per rule id, sorted by id.

    Args:
        entries: the screened history.
        ruleset: whose decisions to count (a digest); ``None`` means the active decisions.
        alerts: alerts of the review queue; their final state labels the events.
        lost_dispute_escrows: escrows whose dispute the payee lost.
    """
    verdicts: dict[str, AlertState] = {a.event_id: a.state for a in alerts}
    fired: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    confirmed: Counter[str] = Counter()
    cleared: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for entry in entries:
        decision = _decision(entry, ruleset)
        if decision is None:
            continue
        verdict = verdicts.get(entry.event.event_id)
        disputed = entry.event.escrow_id in lost_dispute_escrows
        for hit in decision.fired:
            fired[hit.rule_id] += 1
            failed[hit.rule_id] += hit.failed
            outcomes[hit.rule_id][hit.outcome.label] += 1
            confirmed[hit.rule_id] += verdict is AlertState.CONFIRMED_FRAUD
            cleared[hit.rule_id] += verdict is AlertState.CLEARED
            lost[hit.rule_id] += disputed
    return tuple(
        RuleMetrics(
            rule_id=rule_id,
            fired=fired[rule_id],
            failed=failed[rule_id],
            outcomes=dict(outcomes[rule_id]),
            confirmed_fraud=confirmed[rule_id],
            cleared=cleared[rule_id],
            lost_disputes=lost[rule_id],
        )
        for rule_id in sorted(fired)
    )
