"""Errors raised by the ticket aggregate."""

from __future__ import annotations

from typing import ClassVar

from kustodia_domain.shared.errors import ConflictError


class InvalidTicketTransitionError(ConflictError):
    """The ticket cannot move from its current status to the one asked for (nothing changed)."""

    code: ClassVar[str] = "ticket.invalid_transition"

    def __init__(self, *, status: str, target: str) -> None:
        super().__init__(f"a {status} ticket cannot become {target}")
        self.status = status
        self.target = target


class TicketClosedError(ConflictError):
    """A closed ticket takes no more replies."""

    code: ClassVar[str] = "ticket.closed"
