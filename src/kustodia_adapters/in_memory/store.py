"""The shared in-memory state, and the transactions that change it.

A transaction works on a private copy of the committed state. Every write is a function of the
state: it runs once on the copy (so the transaction reads its own writes) and is journaled;
``commit`` replays the journal on a fresh copy of the *current* committed state and swaps it in.
Replaying, rather than swapping in the private copy, is what makes a commit based on a stale read
fail its version check instead of overwriting a concurrent commit.

Nothing stored is ever changed in place: a write replaces an aggregate with a fresh deep copy,
reads hand out deep copies, and every other stored value is frozen. So a copy of the state only
needs new containers (:meth:`StoreState.fork`), which keeps a unit of work cheap to open; deep
copying the whole store on every unit made the lifecycle property tests several times slower.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

from kustodia_domain.audit.chain import AuditRecord
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.support.model import Ticket

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class OutboxEntry:
    """An outbox message, when it was dispatched or given up on, and its current lease."""

    message: OutboxMessage
    dispatched_at: datetime | None = None
    attempts: int = 0
    leased_by: str | None = None
    leased_until: datetime | None = None
    retry_at: datetime | None = None
    last_error: str | None = None
    dead_at: datetime | None = None

    @property
    def waiting(self) -> bool:
        """Neither dispatched nor dead."""
        return self.dispatched_at is None and self.dead_at is None

    def claimable(self, now: datetime) -> bool:
        return (
            self.waiting
            and (self.retry_at is None or self.retry_at <= now)
            and (self.leased_until is None or self.leased_until <= now)
        )


@attrs.define(kw_only=True)
class StoreState:
    """Everything the in-memory adapters store. Aggregates are kept without pending events."""

    users: dict[str, User] = attrs.field(factory=dict)
    escrows: dict[str, Escrow] = attrs.field(factory=dict)
    escrow_by_reference: dict[str, str] = attrs.field(factory=dict)
    """Index: SPEI reference -> escrow id (references are unique)."""
    escrow_by_payout: dict[str, str] = attrs.field(factory=dict)
    """Index: payout id -> escrow id."""
    disputes: dict[str, Dispute] = attrs.field(factory=dict)
    ledger: list[LedgerTransaction] = attrs.field(factory=list)
    ledger_by_key: dict[str, LedgerTransaction] = attrs.field(factory=dict)
    ledger_totals: dict[Account, int] = attrs.field(factory=dict)
    events: dict[str, tuple[DomainEvent, ...]] = attrs.field(factory=dict)
    """Each aggregate's events, in the order they were appended."""
    outbox: dict[str, OutboxEntry] = attrs.field(factory=dict)
    notifications: dict[str, Notification] = attrs.field(factory=dict)
    unmatched_deposits: dict[str, UnmatchedDeposit] = attrs.field(factory=dict)
    audit_pending: list[AuditRecord] = attrs.field(factory=list)
    """Audit records committed by units of work, oldest first, not chained yet."""
    tickets: dict[str, Ticket] = attrs.field(factory=dict)

    def fork(self) -> StoreState:
        """A copy with new containers and shared (never mutated) values."""
        containers = {f.name: copy.copy(getattr(self, f.name)) for f in attrs.fields(StoreState)}
        return attrs.evolve(self, **containers)


Write = Callable[[StoreState], T]
"""A change to the state; it must validate everything before it mutates anything."""


class InMemoryStore:
    """The committed state shared by every unit of work over it."""

    def __init__(self) -> None:
        self.state = StoreState()
        self.lock = asyncio.Lock()

    def snapshot(self) -> StoreState:
        """A private copy of the committed state."""
        return self.state.fork()


class Transaction:
    """A unit of work's private state and the journal of its writes."""

    def __init__(self, state: StoreState) -> None:
        self.state = state
        self.journal: list[Write[Any]] = []

    def write(self, change: Write[T]) -> T:
        """Apply ``change`` to the private state; journal it only if it succeeded."""
        result = change(self.state)
        self.journal.append(change)
        return result


class Versioned(Protocol):
    """An aggregate with an id and an optimistic version."""

    @property
    def id(self) -> str: ...

    version: int


V = TypeVar("V", bound=Versioned)


def detached(aggregate: T) -> T:
    """A deep copy of ``aggregate`` that shares nothing with it and has no pending events."""
    events = getattr(aggregate, "pending_events", None)
    # Seeding deepcopy's memo maps the events list to a fresh empty one, so the events are
    # neither copied nor stored: they belong to the use case that pulls them.
    memo: dict[int, Any] = {} if events is None else {id(events): []}
    return copy.deepcopy(aggregate, memo)
