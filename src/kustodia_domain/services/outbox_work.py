"""How workers take outbox work: leases, exponential backoff and the dead-letter bound.

Every consumer claims its topic's messages under a lease, works each one *outside* any
transaction, then completes it, or fails it: retried after a backoff that doubles from
``base`` up to ``cap``, and dead-lettered after ``max_attempts`` attempts (an admin may retry a
dead letter). A worker that dies keeps its leases only until they expire; one that outlives
its lease can still complete the message (the work was done), but no longer fail or release
it once another worker claimed it (the outbox fences both by the claim's attempt).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_domain.ports.outbox import ClaimedMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork

DEFAULT_WORKER = "worker"


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Leases, backoff and the number of attempts before a message is dead."""

    lease: timedelta = timedelta(minutes=5)
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after failed attempt number ``attempts``; ``None``: give up."""
        if attempts >= self.max_attempts:
            return None
        delay: timedelta = min(self.cap, self.base * 2 ** max(attempts - 1, 0))
        return now + delay


async def claim(  # noqa: PLR0917 - the port's claim, plus the unit of work
    uow: Callable[[], UnitOfWork],
    topics: Collection[str],
    limit: int,
    worker_id: str,
    policy: RetryPolicy,
    now: datetime,
) -> Sequence[ClaimedMessage]:
    """Lease up to ``limit`` messages of ``topics`` in a short transaction of its own.

    A message claimed more than ``max_attempts`` times is dead-lettered instead of returned:
    its earlier claims ended without an outcome (the worker died, or its lease ran out while a
    call hung), and a message that kills its worker must not be claimed forever.
    """
    async with uow() as unit:
        workable = []
        for claimed in await unit.outbox.claim(topics, limit, worker_id, policy.lease, now):
            if claimed.attempts <= policy.max_attempts:
                workable.append(claimed)
                continue
            error = f"abandoned: {claimed.attempts - 1} claims ended without an outcome"
            await unit.outbox.fail(claimed, now, error, None)
        await unit.commit()
    return workable


async def complete(uow: Callable[[], UnitOfWork], key: str, now: datetime) -> None:
    """Complete the message in a transaction of its own."""
    async with uow() as unit:
        await unit.outbox.complete(key, now)
        await unit.commit()


async def fail(
    uow: Callable[[], UnitOfWork],
    claimed: ClaimedMessage,
    error: str,
    policy: RetryPolicy,
    now: datetime,
) -> bool:
    """Record a failed attempt; returns whether the message is now dead."""
    retry_at = policy.retry_at(claimed.attempts, now)
    async with uow() as unit:
        await unit.outbox.fail(claimed, now, error, retry_at)
        await unit.commit()
    return retry_at is None


async def release(
    uow: Callable[[], UnitOfWork], claimed: ClaimedMessage, retry_at: datetime | None
) -> None:
    """Give a claim back, not counted as an attempt, in a transaction of its own."""
    async with uow() as unit:
        await unit.outbox.release(claimed, retry_at)
        await unit.commit()


def reason(error: BaseException) -> str:
    """What a failed attempt records: the error's type and message."""
    return f"{type(error).__name__}: {error}"
