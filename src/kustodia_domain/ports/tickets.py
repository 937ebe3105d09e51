"""Support tickets, in the unit of work (``uow.tickets``).

A ticket commits with its unit, so a change to it, its audit record and the request's
idempotency claim are one transaction (see :mod:`kustodia_domain.ports.idempotency`).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol

from kustodia_domain.support.model import Ticket, TicketStatus


class TicketRepository(Protocol):
    """Tickets by id, by owner and by status.

    ``add`` stores a new ticket at version 1; ``save`` writes only if the stored version is the
    one the ticket was read at (else ``ConcurrencyConflictError``, nothing written) and bumps it;
    ``get`` raises ``NotFoundError``. Reads return copies. Nothing is visible outside the unit
    before its commit.
    """

    @abstractmethod
    async def add(self, ticket: Ticket) -> None:
        """Insert; ``ConflictError`` if the id exists."""

    @abstractmethod
    async def save(self, ticket: Ticket) -> None:
        """Update with the optimistic version check."""

    @abstractmethod
    async def get(self, ticket_id: str) -> Ticket:
        """The ticket, or ``NotFoundError``."""

    @abstractmethod
    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        """The owner's tickets, newest first."""

    @abstractmethod
    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        """Every ticket (of ``status``, when given), newest first."""
