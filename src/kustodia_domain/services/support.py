"""Use cases of support tickets: users see their own, staff see and answer all."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.audit_records import ticket_replied, ticket_status_changed
from kustodia_domain.services.queries import MAX_PAGE, Viewer
from kustodia_domain.services.staff import ACTORS, require_role
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.support.model import Reply, Ticket, TicketStatus


@attrs.frozen(kw_only=True)
class OpenTicket:
    """A user asks for help."""

    owner_id: str
    subject: str
    body: str


@attrs.frozen(kw_only=True)
class ReplyToTicket:
    """The owner or an admin writes on a ticket."""

    ticket_id: str
    viewer: Viewer
    body: str


@attrs.frozen(kw_only=True)
class ChangeTicketStatus:
    """An admin moves a ticket along ``open -> in_progress -> closed``."""

    ticket_id: str
    admin_id: str
    status: TicketStatus


@attrs.frozen
class SupportUseCases:
    """Tickets: the owner and admins see a ticket, anyone else gets ``NotFoundError``.

    Each command is one unit of work: the ticket, the audit record of a staff action and the
    request's idempotency claim commit together or not at all; the record is chained after
    the commit (:meth:`AuditLog.chain_after_commit`).

    Raises (by method): ValidationError, NotFoundError, ForbiddenError (status changes are for
    admins), TicketClosedError, InvalidTicketTransitionError, ConcurrencyConflictError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    audit: AuditLog

    async def open(self, cmd: OpenTicket) -> Ticket:
        ticket = Ticket.open(
            ticket_id=self.ids.new_id("tkt"),
            owner_id=cmd.owner_id,
            subject=cmd.subject,
            body=cmd.body,
            at=self.clock.now(),
        )
        async with self.uow() as uow:
            await uow.tickets.add(ticket)
            await uow.commit()
        return ticket

    async def get(self, viewer: Viewer, ticket_id: str) -> Ticket:
        async with self.uow() as uow:
            return await _visible(uow, viewer, ticket_id)

    async def mine(self, viewer: Viewer, *, limit: int = 20, offset: int = 0) -> Sequence[Ticket]:
        async with self.uow() as uow:
            return await uow.tickets.list_for_owner(
                viewer.user_id, limit=min(max(limit, 1), MAX_PAGE), offset=max(offset, 0)
            )

    async def all(
        self, admin_id: str, *, status: TicketStatus | None, limit: int = 20, offset: int = 0
    ) -> Sequence[Ticket]:
        async with self.uow() as uow:
            await require_role(uow, admin_id, ACTORS)
            return await uow.tickets.list_all(
                status=status, limit=min(max(limit, 1), MAX_PAGE), offset=max(offset, 0)
            )

    async def reply(self, cmd: ReplyToTicket) -> Reply:
        async with self.uow() as uow:
            ticket = await _visible(uow, cmd.viewer, cmd.ticket_id)
            staff = ticket.owner_id != cmd.viewer.user_id
            reply = ticket.reply(
                reply_id=self.ids.new_id("rpl"),
                author_id=cmd.viewer.user_id,
                staff=staff,
                body=cmd.body,
                at=self.clock.now(),
            )
            await uow.tickets.save(ticket)
            if staff:
                await uow.audit.add(ticket_replied(cmd.viewer.user_id, ticket, reply))
            await uow.commit()
        if staff:
            await self.audit.chain_after_commit()
        return reply

    async def change_status(self, cmd: ChangeTicketStatus) -> Ticket:
        async with self.uow() as uow:
            await require_role(uow, cmd.admin_id, ACTORS)
            ticket = await uow.tickets.get(cmd.ticket_id)
            previous = ticket.status
            now = self.clock.now()
            if not ticket.move_to(cmd.status, now):
                return ticket
            await uow.tickets.save(ticket)
            await uow.audit.add(ticket_status_changed(cmd.admin_id, ticket, previous, now))
            await uow.commit()
        await self.audit.chain_after_commit()
        return ticket


async def _visible(uow: UnitOfWork, viewer: Viewer, ticket_id: str) -> Ticket:
    """The ticket, if ``viewer`` owns it or is an admin.

    Raises:
        NotFoundError: no such ticket, or someone else's (the two are not told apart).
    """
    ticket = await uow.tickets.get(ticket_id)
    if not (viewer.is_admin or ticket.owner_id == viewer.user_id):
        raise NotFoundError("ticket", ticket_id)
    return ticket
