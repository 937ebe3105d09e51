"""Errors raised by the escrow aggregate."""

from __future__ import annotations

from typing import ClassVar

from kustodia_domain.shared.errors import ConflictError, ForbiddenError, RuleViolationError


class InvalidEscrowTransitionError(ConflictError):
    """The action is not allowed in the escrow's current state (nothing changed)."""

    code: ClassVar[str] = "escrow.invalid_transition"

    def __init__(self, *, state: str, action: str) -> None:
        super().__init__(f"cannot {action} an escrow that is {state}")
        self.state = state
        self.action = action


class NotAPartyError(ForbiddenError):
    """The actor is not the party this action requires."""

    code: ClassVar[str] = "escrow.not_a_party"


class SettlementRuleError(RuleViolationError):
    """A settlement request breaks a rule (split amounts, unknown milestone, ...)."""

    code: ClassVar[str] = "escrow.settlement_rule"


class PayoutStateError(ConflictError):
    """The payout cannot take this step from its current status."""

    code: ClassVar[str] = "payout.invalid_transition"
