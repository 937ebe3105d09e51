"""Recording what already committed: a lost race for the chain's head is tried again."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_domain.audit.chain import AuditEntry, AuditRecord
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.shared.errors import ConcurrencyConflictError


@attrs.define
class BusyTrail(AuditTrail):
    """Loses the race for the chain's head ``busy`` times, then appends to ``trail``."""

    busy: int
    trail: InMemoryAuditTrail = attrs.field(factory=InMemoryAuditTrail)
    attempts: int = 0

    async def append(self, record: AuditRecord) -> AuditEntry:
        self.attempts += 1
        if self.attempts <= self.busy:
            raise ConcurrencyConflictError("database is locked")
        return await self.trail.append(record)

    async def entries(self, *, offset: int, limit: int) -> Sequence[AuditEntry]:
        return await self.trail.entries(offset=offset, limit=limit)

    async def count(self) -> int:
        return await self.trail.count()


async def record(log: AuditLog) -> AuditEntry:
    return await log.record(
        actor_id="usr_1", action="escrow.opened", subject_type="escrow", subject_id="esc_1"
    )


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
