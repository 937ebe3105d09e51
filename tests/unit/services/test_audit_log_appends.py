"""Recording what already committed: a lost race for the chain's head is tried again.

Records a command committed in its unit of work wait in the queue until chained; chaining
them after the command never fails the command, and the worker chains whatever is left.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.audit.chain import AuditEntry, AuditRecord, verify
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.services.audit_log import CHAIN_BATCH, AuditLog
from kustodia_domain.shared.errors import ConcurrencyConflictError

NOW = FixedClock().now()


@attrs.define
class BusyTrail(AuditTrail):
    """Fails ``busy`` writes with ``error`` (a lost race by default), then writes to ``trail``."""

    busy: int
    store: InMemoryStore = attrs.field(factory=InMemoryStore)
    trail: InMemoryAuditTrail = attrs.field(
        default=attrs.Factory(lambda self: InMemoryAuditTrail(self.store), takes_self=True)
    )
    error: Exception = attrs.field(factory=lambda: ConcurrencyConflictError("database is locked"))
    attempts: int = 0

    async def append(self, record: AuditRecord) -> AuditEntry:
        self._attempt()
        return await self.trail.append(record)

    async def chain_pending(self, limit: int) -> int:
        self._attempt()
        return await self.trail.chain_pending(limit)

    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        return await self.trail.entries(offset=offset, limit=limit)

    async def count(self) -> int:
        return await self.trail.count()

    def _attempt(self) -> None:
        self.attempts += 1
        if self.attempts <= self.busy:
            raise self.error


async def record(log: AuditLog) -> AuditEntry:
    return await log.record(
        actor_id="usr_1", action="escrow.opened", subject_type="escrow", subject_id="esc_1"
    )


async def commit_records(store: InMemoryStore, count: int) -> None:
    async with InMemoryUnitOfWork(store) as uow:
        for n in range(count):
            await uow.audit.add(
                AuditRecord(actor_id=None, action="x", subject_type="t", subject_id=str(n), at=NOW)
            )
        await uow.commit()


async def test_an_append_that_lost_its_race_is_tried_again_and_recorded_once() -> None:
    busy = BusyTrail(busy=2)
    entry = await record(AuditLog(busy, FixedClock()))

    assert busy.attempts == 3
    assert await busy.entries(offset=0, limit=10) == [entry]


async def test_an_append_that_keeps_losing_is_refused_after_three_attempts() -> None:
    busy = BusyTrail(busy=3)
    with pytest.raises(ConcurrencyConflictError):
        await record(AuditLog(busy, FixedClock()))
    assert busy.attempts == 3
    assert await busy.entries(offset=0, limit=10) == []


async def test_chaining_takes_every_batch_and_retries_a_lost_race() -> None:
    busy = BusyTrail(busy=2)
    await commit_records(busy.store, 2 * CHAIN_BATCH + 5)

    assert await AuditLog(busy, FixedClock()).chain() == 2 * CHAIN_BATCH + 5
    entries = await busy.entries(offset=0, limit=3 * CHAIN_BATCH)
    assert [e.record.subject_id for e in entries] == [str(n) for n in range(2 * CHAIN_BATCH + 5)]
    assert verify(entries).ok
    assert busy.attempts == 2 + 3  # two lost races, then three batches


async def test_chaining_stops_after_its_batches_and_the_next_call_takes_the_rest() -> None:
    busy = BusyTrail(busy=0)
    await commit_records(busy.store, 3 * CHAIN_BATCH)
    log = AuditLog(busy, FixedClock())

    assert await log.chain(max_batches=2) == 2 * CHAIN_BATCH
    assert len(busy.store.state.audit_pending) == CHAIN_BATCH
    assert await log.chain(max_batches=2) == CHAIN_BATCH
    entries = await busy.entries(offset=0, limit=4 * CHAIN_BATCH)
    assert [e.record.subject_id for e in entries] == [str(n) for n in range(3 * CHAIN_BATCH)]
    assert busy.store.state.audit_pending == []


async def test_chaining_that_keeps_losing_is_refused_and_leaves_the_records_queued() -> None:
    busy = BusyTrail(busy=3)
    await commit_records(busy.store, 1)
    log = AuditLog(busy, FixedClock())

    with pytest.raises(ConcurrencyConflictError):
        await log.chain()
    assert await busy.count() == 0
    assert await log.chain() == 1


async def test_chaining_after_a_commit_never_fails_the_command_and_the_worker_catches_up() -> None:
    broken = BusyTrail(busy=1, error=OSError("connection to the database lost"))
    await commit_records(broken.store, 1)
    log = AuditLog(broken, FixedClock())

    await log.chain_after_commit()  # raises nothing: the command's answer stands
    assert await broken.count() == 0
    assert await log.chain() == 1
    assert await broken.count() == 1


async def test_a_failure_absorbed_after_a_commit_is_reported_even_if_reporting_fails() -> None:
    lost = OSError("connection to the database lost")
    reported: list[tuple[str, BaseException]] = []

    def report(what: str, error: BaseException) -> None:
        reported.append((what, error))
        raise RuntimeError("the log is gone too")

    broken = BusyTrail(busy=1, error=lost)
    await commit_records(broken.store, 1)

    await AuditLog(broken, FixedClock(), report).chain_after_commit()  # still raises nothing

    assert reported == [("audit chaining after commit failed", lost)]
    assert await broken.count() == 0
