"""Support tickets by id, by owner and by status, with optimistic versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.tickets import ticket_from_row, ticket_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import tickets
from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError
from kustodia_domain.support.model import Ticket, TicketStatus

_t = tickets.c


class SqlTicketRepository(TicketRepository):
    """One statement per call (a refused ``save`` reads once more to say why).

    Lists are newest first (ties by id, descending), each one range scan of an index.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, ticket: Ticket) -> None:
        """Raises ``ConflictError`` if the id exists."""
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(insert(tickets).values(ticket_values(ticket, version=1)))
        ticket.version = 1

    async def save(self, ticket: Ticket) -> None:
        """``UPDATE ... WHERE id = :id AND version = :read``, then the version moves on.

        Raises:
            NotFoundError: the ticket was never added.
            ConcurrencyConflictError: it was saved since it was read; nothing is written.
        """
        read_at = ticket.version
        values = ticket_values(ticket, version=read_at + 1)
        statement = (
            update(tickets)
            .where(_t.id == ticket.id, _t.version == read_at)
            .values({name: value for name, value in values.items() if name != "id"})
        )
        async with own_transaction(self._engine) as transaction:
            if not (await transaction.execute(statement)).rowcount:
                query = select(_t.version).where(_t.id == ticket.id)
                stored = (await transaction.execute(query)).scalar()
                if stored is None:
                    raise NotFoundError("ticket", ticket.id)
                raise ConcurrencyConflictError(
                    f"ticket {ticket.id} is at version {stored}, not {read_at}"
                )
        ticket.version = read_at + 1

    async def get(self, ticket_id: str) -> Ticket:
        found = await self._all(select(tickets).where(_t.id == ticket_id))
        if not found:
            raise NotFoundError("ticket", ticket_id)
        return found[0]

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        return await self._page(select(tickets).where(_t.owner_id == owner_id), limit, offset)

    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        query = select(tickets)
        if status is not None:
            query = query.where(_t.status == status.value)
        return await self._page(query, limit, offset)

    async def _page(self, query: Select[Any], limit: int, offset: int) -> list[Ticket]:
        newest_first = query.order_by(_t.created_at.desc(), _t.id.desc())
        return await self._all(newest_first.limit(limit).offset(offset))

    async def _all(self, query: Select[Any]) -> list[Ticket]:
        async with own_transaction(self._engine) as transaction:
            rows = (await transaction.execute(query)).mappings().all()
        return [ticket_from_row(row) for row in rows]
