"""Support tickets (users: their own; admins: all) and the caller's notifications."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from kustodia_domain.services.support import ChangeTicketStatus, OpenTicket, ReplyToTicket
from kustodia_domain.support.model import TicketStatus
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.support import (
    NotificationList,
    NotificationOut,
    ReplyIn,
    ReplyOut,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketStatusIn,
)

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0)]


class TicketController(Controller):
    path = "/v1/tickets"
    tags = ("support",)

    @post(status_code=201, opt={OPT: True}, summary="Open a support ticket")
    async def open_ticket(
        self, data: JSONBody[TicketIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> TicketOut:
        ticket = await uc.platform.support.open(
            OpenTicket(owner_id=principal.id, subject=data.subject, body=data.body)
        )
        return TicketOut.of(ticket)

    @get(summary="The caller's tickets, newest first")
    async def my_tickets(
        self, principal: PrincipalDep, uc: UseCasesDep, limit: Limit = 20, offset: Offset = 0
    ) -> TicketPage:
        tickets = await uc.platform.support.mine(principal.viewer, limit=limit, offset=offset)
        return TicketPage(items=[TicketOut.of(t) for t in tickets], limit=limit, offset=offset)

    @get("/{ticket_id:str}", summary="A ticket (owner and admins)")
    async def get_ticket(
        self, ticket_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> TicketOut:
        return TicketOut.of(await uc.platform.support.get(principal.viewer, ticket_id))

    @post("/{ticket_id:str}/replies", status_code=201, opt={OPT: True}, summary="Reply on a ticket")
    async def reply(
        self,
        ticket_id: FromPath[str],
        data: JSONBody[ReplyIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> ReplyOut:
        reply = await uc.platform.support.reply(
            ReplyToTicket(ticket_id=ticket_id, viewer=principal.viewer, body=data.body)
        )
        return ReplyOut.of(reply)


class AdminTicketController(Controller):
    path = "/v1/admin/tickets"
    tags = ("admin",)

    @get(summary="Every ticket, optionally by status")
    async def all_tickets(
        self,
        principal: PrincipalDep,
        uc: UseCasesDep,
        status: FromQuery[TicketStatus | None] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> TicketPage:
        principal.require_admin()
        tickets = await uc.platform.support.all(
            principal.id, status=status, limit=limit, offset=offset
        )
        return TicketPage(items=[TicketOut.of(t) for t in tickets], limit=limit, offset=offset)

    @patch("/{ticket_id:str}", summary="Move a ticket along open -> in_progress -> closed")
    async def change_status(
        self,
        ticket_id: FromPath[str],
        data: JSONBody[TicketStatusIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> TicketOut:
        principal.require_admin()
        ticket = await uc.platform.support.change_status(
            ChangeTicketStatus(ticket_id=ticket_id, admin_id=principal.id, status=data.status)
        )
        return TicketOut.of(ticket)


class NotificationController(Controller):
    path = "/v1/notifications"
    tags = ("support",)

    @get(summary="The caller's notifications, newest first")
    async def mine(
        self, principal: PrincipalDep, uc: UseCasesDep, limit: Limit = 50
    ) -> NotificationList:
        notes = await uc.notifications.mine(principal.viewer, limit=limit)
        return NotificationList(items=[NotificationOut.of(n) for n in notes])
