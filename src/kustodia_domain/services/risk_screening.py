"""One screened operation as the use cases see it: the decision and what lifts or repeats it."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from kustodia_domain.fraud.screening import FiredRule, Outcome, RiskDecision, RiskEvent


@attrs.frozen(kw_only=True)
class Screening:
    """One screened operation: the engine's decision and what the gate made of it."""

    event: RiskEvent
    decision: RiskDecision
    override_id: str | None = None
    """An approved override lifts this decision's ``hold``/``block``."""
    repeated: bool = False
    """The event was screened and handled before (its alert exists): do not act twice."""

    @property
    def lifted(self) -> bool:
        """An override lifts the decision."""
        return self.override_id is not None

    @property
    def blocks(self) -> bool:
        """The operation must not happen."""
        return self.decision.outcome is Outcome.BLOCK and not self.lifted

    @property
    def holds(self) -> bool:
        """The escrow must stay where it is until staff clear it."""
        return self.decision.outcome is Outcome.HOLD and not self.lifted

    def asks(self, action: str) -> Iterator[FiredRule]:
        """The fired rules asking for ``action``."""
        return (rule for rule in self.decision.fired if action in rule.actions)
