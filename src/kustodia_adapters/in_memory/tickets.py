"""Support tickets in a dict, with optimistic versions and copies in and out."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence

from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, NotFoundError
from kustodia_domain.support.model import Ticket, TicketStatus


class InMemoryTicketRepository(TicketRepository):
    def __init__(self) -> None:
        self._tickets: dict[str, Ticket] = {}
        self._lock = asyncio.Lock()

    async def add(self, ticket: Ticket) -> None:
        async with self._lock:
            if ticket.id in self._tickets:
                raise ConflictError(f"ticket {ticket.id} already exists")
            ticket.version = 1
            self._tickets[ticket.id] = copy.deepcopy(ticket)

    async def save(self, ticket: Ticket) -> None:
        async with self._lock:
            stored = self._tickets.get(ticket.id)
            if stored is None:
                raise NotFoundError("ticket", ticket.id)
            if stored.version != ticket.version:
                raise ConcurrencyConflictError(
                    f"ticket {ticket.id} is at version {stored.version}, not {ticket.version}"
                )
            ticket.version += 1
            self._tickets[ticket.id] = copy.deepcopy(ticket)

    async def get(self, ticket_id: str) -> Ticket:
        stored = self._tickets.get(ticket_id)
        if stored is None:
            raise NotFoundError("ticket", ticket_id)
        return copy.deepcopy(stored)

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        return self._page(
            [t for t in self._tickets.values() if t.owner_id == owner_id], limit, offset
        )

    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        chosen = [t for t in self._tickets.values() if status is None or t.status is status]
        return self._page(chosen, limit, offset)

    @staticmethod
    def _page(tickets: list[Ticket], limit: int, offset: int) -> list[Ticket]:
        tickets.sort(key=lambda t: (t.created_at, t.id), reverse=True)
        return copy.deepcopy(tickets[offset : offset + limit])
