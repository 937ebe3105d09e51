"""Score thresholds: the outcome a decision's total score reaches."""

from __future__ import annotations

import attrs

from kustodia_domain.fraud.screening import Outcome


@attrs.frozen(kw_only=True)
class Scoring:
    """``review_at <= hold_at <= block_at`` score thresholds and the outcome of a failed rule.

    Invariants: thresholds are positive and ordered; ``error_outcome`` is at least ``review``
    (rules fail closed). ``block_at`` of ``None`` means the score alone never blocks.
    """

    review_at: int = 40
    hold_at: int = 70
    block_at: int | None = None
    error_outcome: Outcome = Outcome.REVIEW

    def problems(self) -> list[str]:
        """What is wrong with these thresholds, if anything."""
        found: list[str] = []
        if not 0 < self.review_at <= self.hold_at:
            found.append("scoring: need 0 < review_at <= hold_at")
        if self.block_at is not None and self.block_at < self.hold_at:
            found.append("scoring: need hold_at <= block_at")
        if self.error_outcome < Outcome.REVIEW:
            found.append("scoring: error_outcome must be review, hold or block (fail closed)")
        return found

    def outcome_for(self, score: int) -> Outcome:
        """The highest outcome whose threshold ``score`` reaches."""
        if self.block_at is not None and score >= self.block_at:
            return Outcome.BLOCK
        if score >= self.hold_at:
            return Outcome.HOLD
        if score >= self.review_at:
            return Outcome.REVIEW
        return Outcome.FLAG if score > 0 else Outcome.ALLOW
