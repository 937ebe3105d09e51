"""The scheduler's use case: expiry, auto-release, reminders and yield accrual."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from kustodia_domain.escrow.due import DueWork
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.ports.yield_rate import YieldRateProvider
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.directory import payout_directory
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, apply, escrow_facts
from kustodia_domain.shared.errors import KustodiaError

DUE_PAGE_SIZE = 500
"""Default page of due escrow ids (see ``EscrowRepository.due_for_jobs``)."""


def release_event_id(escrow_id: str, version: int) -> str:
    """The screening of the clock's release of ``escrow_id`` as read at ``version``.

    Workers that run due jobs at the same time read the same escrow at the same version and
    screen the same release: under one event id the fraud history records it once (a second
    screening gets the recorded decision back, or loses the race to record it and the escrow
    is skipped), so velocity counts and alerts see one release, not one per worker.
    """
    return f"rke-{escrow_id}-release-v{version}"


@attrs.define
class JobReport:
    """What one run did."""

    released: int = 0
    expired: int = 0
    reminded: int = 0
    accrued: int = 0
    skipped: list[str] = attrs.field(factory=list)
    failures: list[tuple[str, Exception]] = attrs.field(factory=list)
    """Escrows skipped for an error no adapter translated, with it (for the worker's log)."""


@attrs.frozen
class RunDueJobsHandler:
    """Runs every job due at ``now``, one escrow per transaction.

    Rules: yield accrues daily on custody balances; unfunded escrows past their funding window
    expire (deposits go home); funded ``standard`` escrows past their deadline are released
    (screened first); ``dual_approval`` escrows are never released by the clock, only reminded;
    held and disputed escrows are never released. An escrow another process changed meanwhile
    (or that fails with any other error) is skipped and picked up by the next run, while the
    run goes on with the others, so running twice never settles twice, and the
    release it screened is recorded once (:func:`release_event_id`). Due
    escrows are read ``page_size`` ids at a time, each page after the last id of the one before
    (``EscrowRepository.due_for_jobs``), so a run ends even when escrows stay due after theirs
    (one skipped, or one whose yield rounds to nothing).
    """

    uow: Callable[[], UnitOfWork]
    ids: IdGenerator
    rates: YieldRateProvider
    risk: RiskGate
    policy: PlatformPolicy
    page_size: int = attrs.field(default=DUE_PAGE_SIZE, validator=attrs.validators.ge(1))
    """Due escrow ids read at a time: memory stays bounded however many are due at once."""

    async def execute(self, now: datetime) -> JobReport:
        report = JobReport()
        work = DueWork(now)
        rate = await self.rates.annual_rate_ppm(now.date())
        after: str | None = None
        while True:
            async with self.uow() as uow:
                page = await uow.escrows.due_for_jobs(work, limit=self.page_size, after=after)
            for escrow_id in page:
                try:
                    await self._run_one(escrow_id, now, rate, report)
                except KustodiaError as error:
                    report.skipped.append(f"{escrow_id}: {error.code}")
                except Exception as error:
                    # An error no adapter translated (a row the database refuses, a dropped
                    # connection): nothing of this escrow committed, the next run retries it,
                    # and the escrows due after it are still released and expired now.
                    report.skipped.append(f"{escrow_id}: unexpected {type(error).__name__}")
                    report.failures.append((escrow_id, error))
            if len(page) < self.page_size:
                return report
            after = page[-1]

    async def _run_one(self, escrow_id: str, now: datetime, rate: int, report: JobReport) -> None:
        # Counted apart and added to the report only once committed: a run that loses a race
        # reports the escrow as skipped, never as released.
        done = JobReport()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await uow.escrows.get(escrow_id)
            if escrow.accrue_yield(now.date(), rate, now).is_positive:
                done.accrued += 1
            done.expired += escrow.expire_if_due(now)
            done.reminded += escrow.remind_if_due(now)
            if escrow.release_due(now):
                screening = await risk.check(
                    "release",
                    actor_id=None,
                    at=now,
                    escrow_id=escrow.id,
                    amount=escrow.custody_balance,
                    attributes=escrow_facts(escrow),
                    event_id=release_event_id(escrow.id, escrow.version),
                )
                directory = await payout_directory(uow.users, escrow, self.policy.treasury_clabe)
                if not apply(escrow, screening, "release", now):
                    done.released += escrow.release_if_due(now, directory)
            if escrow.pending_events:
                await persist_escrow(uow, escrow, self.ids)
                await uow.commit()
        report.released += done.released
        report.expired += done.expired
        report.reminded += done.reminded
        report.accrued += done.accrued
