"""Ticket and notification bodies."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.ports.notifications import Notification
from kustodia_domain.support.model import Reply, Ticket, TicketStatus


@attrs.frozen(kw_only=True)
class TicketIn:
    subject: str
    body: str


@attrs.frozen(kw_only=True)
class ReplyIn:
    body: str


@attrs.frozen(kw_only=True)
class TicketStatusIn:
    status: TicketStatus


@attrs.frozen(kw_only=True)
class ReplyOut:
    id: str
    author_id: str
    author_role: str
    body: str
    posted_at: datetime

    @classmethod
    def of(cls, r: Reply) -> ReplyOut:
        return cls(
            id=r.id,
            author_id=r.author_id,
            author_role=r.author_role,
            body=r.body,
            posted_at=r.posted_at,
        )


@attrs.frozen(kw_only=True)
class TicketOut:
    id: str
    owner_id: str
    subject: str
    body: str
    status: str
    replies: list[ReplyOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        return cls(
            id=t.id,
            owner_id=t.owner_id,
            subject=t.subject,
            body=t.body,
            status=t.status.value,
            replies=[ReplyOut.of(r) for r in t.replies],
            created_at=t.created_at,
            updated_at=t.updated_at,
        )


@attrs.frozen(kw_only=True)
class TicketPage:
    items: list[TicketOut]
    limit: int
    offset: int


@attrs.frozen(kw_only=True)
class NotificationOut:
    id: str
    kind: str
    message: str
    escrow_id: str | None
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id,
            kind=n.kind,
            message=n.message,
            escrow_id=n.escrow_id,
            created_at=n.created_at,
            read=n.read,
        )


@attrs.frozen(kw_only=True)
class NotificationList:
    items: list[NotificationOut]
