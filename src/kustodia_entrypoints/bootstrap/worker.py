"""The worker: due jobs and the payout outbox, in a loop, a single pass, or inside the API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import structlog
from litestar import Litestar

from kustodia_domain.services.operations import WorkerPass
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap.containers import Application

log = structlog.get_logger("kustodia.worker")


async def one_pass(container: Application) -> WorkerPass:
    """Run what is due now, then send pending payouts."""
    use_cases: UseCases = container.use_cases()
    done = await use_cases.platform.operations.worker_pass(container.adapters.clock().now())
    log.info(
        "worker pass",
        released=done.jobs.released,
        expired=done.jobs.expired,
        reminded=done.jobs.reminded,
        accrued=done.jobs.accrued,
        skipped=len(done.jobs.skipped),
        payouts_sent=done.payouts_sent,
    )
    return done


async def run_forever(container: Application, interval_seconds: float) -> None:
    """Pass after pass; a failing pass is logged and the next one retries."""
    while True:
        try:
            await one_pass(container)
        except Exception:
            log.exception("worker pass failed")
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
