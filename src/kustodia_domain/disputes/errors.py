"""Errors raised by the dispute aggregate."""

from __future__ import annotations

from typing import ClassVar

from kustodia_domain.shared.errors import ConflictError, ForbiddenError, RuleViolationError


class DisputeClosedError(ConflictError):
    """The dispute is resolved; it takes no more messages, evidence or resolutions."""

    code: ClassVar[str] = "dispute.closed"


class NotADisputePartyError(ForbiddenError):
    """Only the escrow's parties (and admins) take part in its dispute."""

    code: ClassVar[str] = "dispute.not_a_party"


class FourEyesError(RuleViolationError):
    """A high-value resolution needs a second, different admin."""

    code: ClassVar[str] = "dispute.four_eyes"
