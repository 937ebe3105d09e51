"""Support tickets by id, by owner and by status, with optimistic versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState, detached
from kustodia_adapters.in_memory.versions import fetch, insert, update
from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.support.model import Ticket, TicketStatus


class InMemoryTicketRepository(TicketRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, ticket: Ticket) -> None:
        row = detached(ticket)

        def change(state: StoreState) -> None:
            if row.id in state.tickets:
                raise ConflictError(f"ticket {row.id} already exists")
            insert(state.tickets, row)

        self._transaction().write(change)
        ticket.version = 1

    async def save(self, ticket: Ticket) -> None:
        row = detached(ticket)
        self._transaction().write(lambda state: update(state.tickets, row, "ticket"))
        ticket.version += 1

    async def get(self, ticket_id: str) -> Ticket:
        return fetch(self._transaction().state.tickets, ticket_id, "ticket")

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        stored = self._transaction().state.tickets.values()
        return _page((t for t in stored if t.owner_id == owner_id), limit, offset)

    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        stored = self._transaction().state.tickets.values()
        return _page((t for t in stored if status is None or t.status is status), limit, offset)


def _page(tickets: Iterable[Ticket], limit: int, offset: int) -> list[Ticket]:
    """Newest first, ties by id (descending), as the SQL adapter's indexes give them."""
    ordered = sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True)
    return [detached(t) for t in ordered[offset : offset + limit]]
