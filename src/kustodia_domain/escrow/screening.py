"""What risk screening leaves on an escrow: screenings, review flags and override requests.

These record facts for staff and never change the business state; holds go through
:meth:`~kustodia_domain.escrow.custody.CustodyMixin.hold` and the transition table.
"""

from __future__ import annotations

from datetime import datetime

from kustodia_domain.escrow.base import EscrowBase
from kustodia_domain.escrow.events import (
    EscrowFlaggedForReview,
    RiskOverrideDecided,
    RiskOverrideRequested,
    RiskScreened,
)


class ScreeningMixin(EscrowBase):
    """The escrow's risk record."""

    def record_screening(
        self,
        *,
        operation: str,
        outcome: str,
        score: int,
        rules: tuple[str, ...],
        ruleset: str,
        at: datetime,
        event_id: str | None = None,
        override_id: str | None = None,
    ) -> None:
        """Make a risk-screening decision visible in the escrow's timeline."""
        self._record(
            RiskScreened,
            at,
            operation=operation,
            outcome=outcome,
            score=score,
            rules=rules,
            ruleset=ruleset,
            event_id=event_id,
            override_id=override_id,
        )

    def flag_for_review(self, reason: str, at: datetime) -> bool:
        """Ask staff to look at the escrow (any state); ``False`` if it already asks for that."""
        if reason in self.review_reasons:
            return False
        self.needs_review = True
        self.review_reasons.append(reason)
        self._record(EscrowFlaggedForReview, at, reason=reason)
        return True

    def record_override_request(
        self,
        *,
        override_id: str,
        event_id: str,
        original_outcome: str,
        requested_by: str,
        justification: str,
        at: datetime,
    ) -> None:
        """Make an admin's request to lift a risk decision visible in the timeline."""
        self._record(
            RiskOverrideRequested,
            at,
            override_id=override_id,
            event_id=event_id,
            original_outcome=original_outcome,
            requested_by=requested_by,
            justification=justification,
        )

    def record_override_decision(
        self, *, override_id: str, state: str, decided_by: str, reason: str, at: datetime
    ) -> None:
        """Make the second admin's decision on an override visible in the timeline."""
        self._record(
            RiskOverrideDecided,
            at,
            override_id=override_id,
            state=state,
            decided_by=decided_by,
            reason=reason,
        )
