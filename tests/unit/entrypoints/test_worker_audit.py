"""The worker chains the audit records a command committed but could not chain itself."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.audit.chain import AuditRecord
from kustodia_entrypoints.bootstrap.containers import application_for
from kustodia_entrypoints.bootstrap.settings import load_settings
from kustodia_entrypoints.bootstrap.worker import one_pass


async def test_a_pass_chains_what_waits_and_logs_a_failure_without_failing_the_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings({"KUSTODIA_ENV": "sandbox", "KUSTODIA_DATABASE_URL": "memory://"})
    container = application_for(settings)
    store, trail = container.adapters.store(), container.adapters.audit()
    async with InMemoryUnitOfWork(store) as uow:
        await uow.audit.add(
            AuditRecord(
                actor_id="usr_1",
                action="escrow.opened",
                subject_type="escrow",
                subject_id="esc_1",
                at=container.adapters.clock().now(),
            )
        )
        await uow.commit()

    async def unreachable(limit: int) -> int:
        raise OSError("connection to the database lost")

    monkeypatch.setattr(trail, "chain_pending", unreachable)
    with capture_logs() as logs:
        failed = await one_pass(container, "worker-1")
    assert isinstance(failed.audit_failure, OSError)
    assert [(log["event"], log["log_level"]) for log in logs] == [
        ("audit chaining failed", "error"),
        ("worker pass", "info"),
    ]
    assert await trail.count() == 0

    monkeypatch.undo()
    with capture_logs() as logs:
        done = await one_pass(container, "worker-1")
    assert (done.audit_chained, done.audit_failure) == (1, None)
    assert logs[-1]["audit_chained"] == 1
    assert [e.record.subject_id for e in await trail.entries(offset=0, limit=10)] == ["esc_1"]
