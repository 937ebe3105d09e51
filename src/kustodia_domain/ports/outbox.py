r"""The outbox: work for the outside world, committed with the state change that caused it.

Workers take messages with :meth:`Outbox.claim`: a claimed message is *leased* to one worker
until ``leased_until``, and no other worker can claim it before then. The worker then either
:meth:`~Outbox.complete`\\ s it, :meth:`~Outbox.fail`\\ s it (retried after ``retry_at``, or
dead-lettered when there is no ``retry_at``) or :meth:`~Outbox.release`\\ s it (not an attempt:
the message was not ready). A worker that dies keeps its leases only until they expire; the
message is then claimable again. Claims, completions and failures take effect when the unit of
work commits.
"""

from __future__ import annotations

import enum
from abc import abstractmethod
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from kustodia_domain.shared.immutable import immutable


@immutable
@attrs.frozen(kw_only=True)
class OutboxMessage:
    """A unit of outside work (send a payout, request an assessment, send an e-mail).

    ``key`` is unique: adding a message whose key exists is a no-op, so a retried command never
    enqueues the same work twice. ``payload`` holds plain strings and integers.
    """

    key: str
    topic: str
    payload: Mapping[str, str | int | None]
    created_at: datetime


class OutboxState(enum.StrEnum):
    """Where a message stands: waiting for a worker, handled, or given up on."""

    PENDING = "pending"
    DISPATCHED = "dispatched"
    DEAD = "dead"


@attrs.frozen(kw_only=True)
class ClaimedMessage:
    """A message leased to one worker; ``attempts`` counts this claim."""

    message: OutboxMessage
    attempts: int
    leased_by: str
    leased_until: datetime

    @property
    def key(self) -> str:
        """The message's key."""
        return self.message.key


@attrs.frozen(kw_only=True)
class DeadLetter:
    """A message given up on after its last attempt, until an admin retries it."""

    message: OutboxMessage
    attempts: int
    last_error: str | None
    dead_at: datetime
    state: OutboxState = OutboxState.DEAD


class Outbox(Protocol):
    """Pending outside work, claimed by workers under time-limited leases."""

    @abstractmethod
    async def add(self, message: OutboxMessage) -> None:
        """Enqueue ``message`` unless its key is already there."""

    @abstractmethod
    async def pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Messages neither dispatched nor dead, oldest first (leased or not)."""

    @abstractmethod
    async def mark_dispatched(self, key: str, at: datetime) -> None:
        """Record that the message was handled (the same as :meth:`complete`)."""

    @abstractmethod
    async def claim(
        self,
        topics: Collection[str],
        limit: int,
        worker_id: str,
        lease: timedelta,
        now: datetime,
    ) -> Sequence[ClaimedMessage]:
        """Lease up to ``limit`` claimable messages of ``topics`` to ``worker_id``, oldest first.

        Claimable: pending, due (no ``retry_at`` or ``retry_at <= now``) and not leased (no
        lease or ``leased_until <= now``). Each claim counts one attempt. Concurrent claims never
        return the same message while its lease runs.
        """

    @abstractmethod
    async def complete(self, key: str, at: datetime) -> None:
        """The message was handled: dispatched, lease cleared. Idempotent.

        Raises:
            NotFoundError: no message has ``key``.
        """

    @abstractmethod
    async def fail(
        self, claim: ClaimedMessage, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """``claim``'s attempt failed: retry at ``retry_at``, or dead-letter it without one.

        Only the claim that holds the message acts: once its lease ran out and another worker
        claimed the message (its ``attempts`` moved on), or once the message was dispatched,
        dead, failed or released, the call changes nothing. A late worker can therefore never
        cut the current holder's lease short and let a third worker do the work in parallel.
        """

    @abstractmethod
    async def release(self, claim: ClaimedMessage, retry_at: datetime | None) -> None:
        """Give ``claim`` back without counting it as an attempt (the work was not ready).

        Fenced like :meth:`fail`: only the claim that holds the message acts.
        """

    @abstractmethod
    async def dead(self, limit: int) -> Sequence[DeadLetter]:
        """Dead letters, most recent first."""

    @abstractmethod
    async def retry_dead(self, key: str) -> None:
        """Make a dead message pending again, due now, with its attempts reset.

        Raises:
            NotFoundError: no dead message has ``key``.
        """
