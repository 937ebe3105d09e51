"""Evidence blobs, KYC sessions and reconciliation differences outlive the process that wrote them.

Two compositions of ``build_sql`` over one migrated database, one after the other, as two runs
of ``kustodia serve``: what the first stores through the use cases, the second finds.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import KycResult, KycStatus
from kustodia_domain.ports.rail_statement import RailDeposit
from kustodia_domain.ports.reconciliation_queue import DifferenceKind
from kustodia_domain.services.kyc import KycOutcome, StartKyc
from kustodia_domain.services.reconcile_rail import ReconcileRail
from kustodia_domain.shared.money import Money
from kustodia_entrypoints.bootstrap.sql import build_sql
from tests.contract.builders import user
from tests.integration.databases import migrate

PDF = b"%PDF-1.7 signed delivery note\x00\xff"


async def test_blobs_kyc_sessions_and_differences_survive_a_restart(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(migrate, empty_database_url)
    async with build_sql(empty_database_url, risk=AllowAllRiskScreen()) as first:
        async with first.uow() as uow:
            await uow.users.add(user("usr_ana"))
            await uow.commit()
        session = await first.use_cases.platform.kyc.start.execute(
            StartKyc(user_id="usr_ana", level=KycLevel.N3)
        )
        stored = await first.ports.blobs.put(PDF, "application/pdf")
        now = first.clock.now()
        first.rail.receive(
            RailDeposit(
                tracking_key="TRK-UNBOOKED",
                clabe="646180000000000001",
                reference="1234567",
                amount=Money.mxn(50_000),
                received_at=now - timedelta(hours=2),
            )
        )
        period = ReconcileRail(since=now - timedelta(days=1), until=now)
        report = await first.use_cases.reconcile_rail.execute(period)
        assert report.queued == 1

    async with build_sql(empty_database_url, risk=AllowAllRiskScreen()) as second:
        # The provider's verdict arrives after the restart and names the stored session.
        verdict = KycResult(
            session_id=session.session_id,
            user_id="usr_ana",
            status=KycStatus.APPROVED,
            level=KycLevel.N3,
        )
        assert await second.use_cases.platform.kyc.record.execute(verdict) is KycOutcome.APPROVED
        assert await second.use_cases.platform.kyc.record.execute(verdict) is KycOutcome.DUPLICATE
        async with second.uow() as uow:
            assert (await uow.users.get("usr_ana")).kyc_level is KycLevel.N3

        assert await second.ports.blobs.get(stored.key) == PDF

        [difference] = await second.ports.reconciliation.list_open()
        assert (difference.kind, difference.subject) == (
            DifferenceKind.MISSING_DEPOSIT,
            "TRK-UNBOOKED",
        )
        # The queue remembers what it holds: reconciling the period again queues nothing.
        second.rail.received.extend(first.rail.received)
        again = await second.use_cases.reconcile_rail.execute(period)
        assert (len(again.differences), again.queued) == (1, 0)
