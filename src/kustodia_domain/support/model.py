"""The ``Ticket`` aggregate.

Invariants:
    * status moves only along ``open -> in_progress -> closed`` (``open -> closed`` too: a
      question answered by its owner); a closed ticket never reopens or takes replies;
    * only the owner and staff write replies (the use cases check who may see a ticket);
    * a staff reply to an open ticket moves it to ``in_progress``: someone is on it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.time import ensure_utc
from kustodia_domain.support.errors import InvalidTicketTransitionError, TicketClosedError

MAX_SUBJECT = 200
MAX_BODY = 5_000


class TicketStatus(StrEnum):
    """Where a ticket is."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


_MOVES = frozenset(
    {
        (TicketStatus.OPEN, TicketStatus.IN_PROGRESS),
        (TicketStatus.OPEN, TicketStatus.CLOSED),
        (TicketStatus.IN_PROGRESS, TicketStatus.CLOSED),
    }
)
"""The only status changes there are."""


def _text(value: str, field: str, limit: int) -> str:
    if not value.strip() or len(value) > limit:
        raise ValidationError(f"{field} must be 1-{limit} characters", field=field)
    return value


@immutable
@attrs.frozen(kw_only=True)
class Reply:
    """A message on a ticket, by its owner or by staff."""

    id: str
    author_id: str
    author_role: str
    """``owner`` or ``staff``."""
    body: str
    posted_at: datetime


@attrs.define(kw_only=True)
class Ticket:
    """A support request (see the module docstring for its invariants)."""

    id: str
    owner_id: str
    subject: str
    body: str
    status: TicketStatus = TicketStatus.OPEN
    replies: list[Reply] = attrs.field(factory=list)
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @classmethod
    def open(
        cls, *, ticket_id: str, owner_id: str, subject: str, body: str, at: datetime
    ) -> Ticket:
        """Open a ticket.

        Raises:
            ValidationError: subject (1-200) or body (1-5000 characters) empty or too long.
        """
        at = ensure_utc(at)
        return cls(
            id=ticket_id,
            owner_id=owner_id,
            subject=_text(subject, "subject", MAX_SUBJECT),
            body=_text(body, "body", MAX_BODY),
            created_at=at,
            updated_at=at,
        )

    def reply(
        self, *, reply_id: str, author_id: str, staff: bool, body: str, at: datetime
    ) -> Reply:
        """Add a reply; a staff reply to an open ticket puts it in progress.

        Raises:
            TicketClosedError: the ticket is closed.
            ValidationError: the body is empty or longer than 5000 characters.
        """
        if self.status is TicketStatus.CLOSED:
            raise TicketClosedError(f"ticket {self.id} is closed")
        reply = Reply(
            id=reply_id,
            author_id=author_id,
            author_role="staff" if staff else "owner",
            body=_text(body, "body", MAX_BODY),
            posted_at=ensure_utc(at),
        )
        self.replies.append(reply)
        if staff and self.status is TicketStatus.OPEN:
            self.status = TicketStatus.IN_PROGRESS
        self.updated_at = reply.posted_at
        return reply

    def move_to(self, target: TicketStatus, at: datetime) -> bool:
        """Change the status; asking for the current status changes nothing.

        Returns:
            Whether the status changed.

        Raises:
            InvalidTicketTransitionError: the move is not in the table.
        """
        if target is self.status:
            return False
        if (self.status, target) not in _MOVES:
            raise InvalidTicketTransitionError(status=self.status.value, target=target.value)
        self.status = target
        self.updated_at = ensure_utc(at)
        return True
