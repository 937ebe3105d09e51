"""Support tickets by id, by owner and by status, with optimistic versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Select, bindparam, select

from kustodia_adapters.sql.mappers.tickets import ticket_from_row, ticket_values
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import tickets
from kustodia_adapters.sql.versions import insert_first_version, update_from_version
from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.support.model import Ticket, TicketStatus

_t = tickets.c


class SqlTicketRepository(TicketRepository):
    """One statement per call (a refused ``save`` reads once more to say why).

    Lists are newest first (ties by id, descending), each one range scan of an index.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, ticket: Ticket) -> None:
        """Raises ``ConflictError`` if the id exists."""
        await insert_first_version(self._transaction(), tickets, ticket_values(ticket, version=1))
        ticket.version = 1

    async def save(self, ticket: Ticket) -> None:
        """``UPDATE ... WHERE id = :id AND version = :read``, then the version moves on.

        Raises:
            NotFoundError: the ticket was never added.
            ConcurrencyConflictError: it was saved since it was read; nothing is written.
        """
        values = ticket_values(ticket, version=ticket.version + 1)
        await update_from_version(
            self._transaction(), tickets, values, read_at=ticket.version, kind="ticket"
        )
        ticket.version += 1

    async def get(self, ticket_id: str) -> Ticket:
        found = await self._all(_BY_ID, {"ticket_id": ticket_id})
        if not found:
            raise NotFoundError("ticket", ticket_id)
        return found[0]

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        return await self._all(_FOR_OWNER, {"owner_id": owner_id, "limit": limit, "offset": offset})

    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        if status is None:
            return await self._all(_EVERY, {"limit": limit, "offset": offset})
        parameters = {"status": status.value, "limit": limit, "offset": offset}
        return await self._all(_BY_STATUS, parameters)

    async def _all(self, query: Select[Any], parameters: dict[str, Any]) -> list[Ticket]:
        rows = (await self._transaction().execute(query, parameters)).mappings().all()
        return [ticket_from_row(row) for row in rows]


def _page(query: Select[Any]) -> Select[Any]:
    newest_first = query.order_by(_t.created_at.desc(), _t.id.desc())
    return newest_first.limit(bindparam("limit")).offset(bindparam("offset"))


# Built once, the values bound at execution.
_BY_ID: Final = select(tickets).where(_t.id == bindparam("ticket_id"))
_FOR_OWNER: Final = _page(select(tickets).where(_t.owner_id == bindparam("owner_id")))
_BY_STATUS: Final = _page(select(tickets).where(_t.status == bindparam("status")))
_EVERY: Final = _page(select(tickets))
