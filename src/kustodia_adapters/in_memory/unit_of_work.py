"""The unit of work over an :class:`InMemoryStore`."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import attrs

from kustodia_adapters.in_memory.audit import InMemoryPendingAudit
from kustodia_adapters.in_memory.disputes import InMemoryDisputeRepository
from kustodia_adapters.in_memory.escrows import InMemoryEscrowRepository
from kustodia_adapters.in_memory.event_log import InMemoryEventLog
from kustodia_adapters.in_memory.idempotency import InMemoryIdempotencyStore
from kustodia_adapters.in_memory.ledger import InMemoryLedger
from kustodia_adapters.in_memory.notifications import InMemoryNotificationRepository
from kustodia_adapters.in_memory.outbox import InMemoryOutbox
from kustodia_adapters.in_memory.reconciliation import InMemoryUnmatchedDepositRepository
from kustodia_adapters.in_memory.store import InMemoryStore, Transaction
from kustodia_adapters.in_memory.tickets import InMemoryTicketRepository
from kustodia_adapters.in_memory.users import InMemoryUserRepository
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.idempotency import Claim
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ConcurrencyConflictError


@attrs.frozen
class CommitFence:
    """The idempotency claim a unit of work's request runs under, checked at each commit."""

    keys: InMemoryIdempotencyStore
    claim: Claim
    clock: Clock

    async def check(self) -> None:
        if not await self.keys.fence(self.claim, self.clock.now()):
            raise ConcurrencyConflictError(
                "this request's Idempotency-Key claim was taken over; nothing was written"
            )


class InMemoryUnitOfWork(UnitOfWork):
    """``async with`` reads a private copy of the store; ``commit`` publishes it atomically.

    A commit replays this unit's writes on the store's current state under the store's lock:
    if any of them no longer holds (a stale version, a reference taken meanwhile, a ledger key
    reused), it raises and nothing of this unit becomes visible. After a commit the unit may go
    on, reading the newly committed state. One instance serves one task at a time.
    """

    def __init__(self, store: InMemoryStore, fence: CommitFence | None = None) -> None:
        self._store = store
        self._fence = fence
        self._transaction: Transaction | None = None
        self.users = InMemoryUserRepository(self._current)
        self.escrows = InMemoryEscrowRepository(self._current)
        self.disputes = InMemoryDisputeRepository(self._current)
        self.ledger = InMemoryLedger(self._current)
        self.events = InMemoryEventLog(self._current)
        self.outbox = InMemoryOutbox(self._current)
        self.notifications = InMemoryNotificationRepository(self._current)
        self.unmatched_deposits = InMemoryUnmatchedDepositRepository(self._current)
        self.audit = InMemoryPendingAudit(self._current)
        self.tickets = InMemoryTicketRepository(self._current)

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("this unit of work is already open")
        self._transaction = Transaction(self._store.snapshot())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._transaction = None

    async def commit(self) -> None:
        """Publish this unit's writes.

        Raises:
            ConcurrencyConflictError: a write no longer holds, or the request's idempotency
                claim was taken over (see ``CommitFence``); nothing is published.
        """
        transaction = self._current()
        async with self._store.lock:
            state = self._store.snapshot()
            for change in transaction.journal:
                change(state)
            if self._fence is not None and transaction.journal:
                await self._fence.check()
            self._store.state = state
            self._transaction = Transaction(self._store.snapshot())

    def _current(self) -> Transaction:
        if self._transaction is None:
            raise RuntimeError("use the repositories inside `async with unit_of_work:`")
        return self._transaction
