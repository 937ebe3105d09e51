"""Errors of the fraud context, each with a stable ``code``.

A fraud *verdict* is never an error (it is a ``RiskDecision``); these are the operator and admin
mistakes the context refuses: a broken ruleset, an illegal alert transition, an override that
breaks the four-eyes rule.
"""

from __future__ import annotations

from typing import ClassVar

from kustodia_domain.shared.errors import ConflictError, KustodiaError, RuleViolationError


class RulesetLoadError(KustodiaError):
    """A ruleset could not be loaded; ``problems`` lists every problem found, one per line."""

    code: ClassVar[str] = "risk.ruleset.invalid"

    def __init__(self, source: str, problems: tuple[str, ...]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"ruleset {source} is invalid:\n{lines}")
        self.source = source
        self.problems = problems


class InvalidAlertTransitionError(ConflictError):
    """The alert is not in a state that allows the action (e.g. clearing a cleared alert)."""

    code: ClassVar[str] = "risk.alert.invalid_transition"

    def __init__(self, *, state: str, action: str) -> None:
        super().__init__(f"cannot {action} an alert that is {state}")
        self.state = state
        self.action = action


class OverrideError(RuleViolationError):
    """Root of the override governance errors."""

    code: ClassVar[str] = "risk.override.invalid"


class OverrideNotNeededError(OverrideError):
    """Only ``hold`` and ``block`` decisions are overridden; lower outcomes go through alerts."""

    code: ClassVar[str] = "risk.override.not_needed"


class JustificationTooShortError(OverrideError):
    """The justification has fewer than the required number of characters."""

    code: ClassVar[str] = "risk.override.justification_too_short"

    def __init__(self, *, length: int, minimum: int) -> None:
        super().__init__(f"an override needs a justification of at least {minimum} characters")
        self.length = length
        self.minimum = minimum


class SecondApproverRequiredError(OverrideError):
    """The approver is the requester: an override needs a second admin."""

    code: ClassVar[str] = "risk.override.second_approver_required"


class InvalidOverrideTransitionError(ConflictError):
    """The override request was already approved or rejected."""

    code: ClassVar[str] = "risk.override.invalid_transition"

    def __init__(self, *, state: str, action: str) -> None:
        super().__init__(f"cannot {action} an override that is {state}")
        self.state = state
        self.action = action
