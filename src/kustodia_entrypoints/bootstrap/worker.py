"""The worker: due jobs and the outbox, in a loop, a single pass, or inside the API.

Each worker process has an id (host, process, a random suffix) under which it leases outbox
messages, so several workers and API processes can run at once without doing anything twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import attrs
import structlog
from litestar import Litestar

from kustodia_domain.services.assess_disputes import AssessOpenedDisputesHandler
from kustodia_domain.services.operations import Operations, WorkerPass
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap.containers import Application

log = structlog.get_logger("kustodia.worker")


def new_worker_id() -> str:
    """This process's lease holder name: ``<host>:<pid>:<random>``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def worker_operations(use_cases: UseCases) -> Operations:
    """The operations with every outbox consumer wired: payouts, e-mails and assessments."""
    operations = use_cases.platform.operations
    assess = use_cases.assess_dispute
    return attrs.evolve(
        operations,
        deliver_emails=operations.deliver_emails or use_cases.deliver_emails,
        assess_disputes=operations.assess_disputes
        or AssessOpenedDisputesHandler(assess.uow, assess.clock, assess),
    )


async def one_pass(container: Application, worker_id: str | None = None) -> WorkerPass:
    """Run what is due now, then the outbox's consumers."""
    use_cases: UseCases = container.use_cases()
    worker = worker_id or new_worker_id()
    done = await worker_operations(use_cases).worker_pass(container.adapters.clock().now(), worker)
    for escrow_id, error in done.jobs.failures:
        log.error("due job failed", worker_id=worker, escrow_id=escrow_id, exc_info=error)
    if done.audit_failure is not None:
        log.error("audit chaining failed", worker_id=worker, exc_info=done.audit_failure)
    log.info(
        "worker pass",
        worker_id=worker,
        released=done.jobs.released,
        expired=done.jobs.expired,
        reminded=done.jobs.reminded,
        accrued=done.jobs.accrued,
        skipped=len(done.jobs.skipped),
        payouts_sent=done.payouts_sent,
        emails_sent=done.emails_sent,
        disputes_assessed=done.disputes_assessed,
        audit_chained=done.audit_chained,
    )
    return done


async def run_forever(container: Application, interval_seconds: float) -> None:
    """Pass after pass under one worker id; a failing pass is logged and the next one retries."""
    worker_id = new_worker_id()
    log.info("worker started", worker_id=worker_id, interval_seconds=interval_seconds)
    while True:
        try:
            await one_pass(container, worker_id)
        except Exception:
            log.exception("worker pass failed", worker_id=worker_id)
        await asyncio.sleep(interval_seconds)


def embedded_worker(
    container: Application, interval_seconds: float
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan hook that runs the worker beside the API (the sandbox's single process)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever(container, interval_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
