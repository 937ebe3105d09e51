"""The unit of work: one atomic transaction over every repository, the ledger and the outbox."""

from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Protocol, Self

from kustodia_domain.ports.audit import PendingAudit
from kustodia_domain.ports.event_log import EventLog
from kustodia_domain.ports.ledger import Ledger
from kustodia_domain.ports.notifications import NotificationRepository
from kustodia_domain.ports.outbox import Outbox
from kustodia_domain.ports.reconciliation import UnmatchedDepositRepository
from kustodia_domain.ports.repositories import (
    DisputeRepository,
    EscrowRepository,
    UserRepository,
)
from kustodia_domain.ports.tickets import TicketRepository


class UnitOfWork(Protocol):
    """``async with uow:`` opens a transaction; ``commit`` makes every change visible at once.

    Leaving the block without ``commit`` (or with an exception) discards everything written in
    it. No network call may happen inside the block: outside work goes to ``outbox``.
    """

    users: UserRepository
    escrows: EscrowRepository
    disputes: DisputeRepository
    ledger: Ledger
    events: EventLog
    outbox: Outbox
    notifications: NotificationRepository
    unmatched_deposits: UnmatchedDepositRepository
    audit: PendingAudit
    tickets: TicketRepository

    @abstractmethod
    async def __aenter__(self) -> Self:
        """Begin the transaction."""

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    @abstractmethod
    async def commit(self) -> None:
        """Make the changes durable and visible."""
