"""The whole loop over real HTTP: the platform pays through the fake provider, then reconciles.

The platform runs on the in-memory adapters of ``bootstrap/in_memory.py`` with the HTTP rail
in place of the sandbox rail; deposit CLABEs are issued by the provider, payouts go to it, its
webhooks are verified with the edge's verifier before they are applied (as the webhook route
does), and the reconciliation job reads the provider's statement through ``HttpRailStatement``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.rails.client import RailApiClient
from kustodia_adapters.rails.http_spei import HttpRailStatement, HttpSpeiRail
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.identity.model import User
from kustodia_domain.ports.reconciliation_queue import DifferenceKind
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.reconcile_rail import ReconcileRail, ReconcileRailHandler
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_entrypoints.bootstrap.in_memory import in_memory_ports
from kustodia_entrypoints.http.signatures import verify
from tests.http.harness import WEBHOOK_SECRET
from tests.integration.rails.fake_provider import Delivery, FakeRailProvider

AMOUNT = 250_000
PAYEE_PAYOUT = Clabe.build("002", "180", "7002")


@attrs.define
class Platform:
    """Kustodia on in-memory stores, paying through the provider."""

    ports: Ports
    uc: UseCases
    clock: FixedClock
    provider: FakeRailProvider
    payer: User
    payee: User
    deposits: int = 0

    async def open(self) -> Escrow:
        return await self.uc.open_escrow.execute(
            OpenEscrow(
                creator_id=self.payer.id,
                kind=EscrowKind.STANDARD,
                creator_role=CreatorRole.PAYER,
                counterparty_email=self.payee.email,
                amount_minor=AMOUNT,
                currency="MXN",
                custody_percent=100,
                custody_days=5,
                description="a used bicycle",
            )
        )

    async def escrow(self, escrow_id: str) -> Escrow:
        async with self.ports.uow() as uow:
            return await uow.escrows.get(escrow_id)

    async def webhook(self, delivery: Delivery) -> None:
        """What ``POST /v1/webhooks/spei`` does: verify with the edge's verifier, then apply."""
        verify(
            delivery.headers["Kustodia-Signature"],
            delivery.body,
            secret=WEBHOOK_SECRET,
            now=datetime.now(UTC),
            tolerance=timedelta(seconds=300),
        )
        notice = json.loads(delivery.body)
        if notice["type"] == "deposit.received":
            await self.uc.platform.rail.deposit(_record(notice), source="webhook")
        elif notice["type"] == "payout.confirmed":
            await self.uc.platform.rail.payout_confirmed(notice["payout_id"])

    def transfer(self, escrow: Escrow) -> Delivery:
        """The payer's bank sends the amount due to the escrow's CLABE and reference."""
        self.deposits += 1
        return self.provider.receive_deposit(
            clabe=escrow.deposit_clabe.value,
            reference=escrow.reference,
            amount=escrow.amount_due.amount_minor,
            tracking_key=f"TRK{self.deposits:04d}",
        )

    async def release_and_pay(self, escrow: Escrow) -> str:
        """The payer approves; the worker's dispatch sends the payout over HTTP."""
        await self.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=self.payer.id)
        )
        assert await self.uc.dispatch_payouts.execute() == 1
        [payout] = (await self.escrow(escrow.id)).payouts
        assert payout.status is PayoutStatus.SENT
        return payout.id


def _record(notice: dict[str, object]) -> RecordDeposit:
    return RecordDeposit(
        tracking_key=str(notice["tracking_key"]),
        clabe=str(notice["clabe"]),
        reference=str(notice["reference"]),
        amount_minor=int(str(notice["amount"])),
        currency=str(notice["currency"]),
        source_clabe=str(notice["sender_clabe"]),
        sender_name=str(notice["sender_name"]),
        received_at=datetime.fromisoformat(str(notice["received_at"])),
    )


@pytest.fixture
async def platform(provider: FakeRailProvider, api: RailApiClient) -> Platform:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    provider.clock = clock.now  # the provider stamps its records on the platform's business day
    store = InMemoryStore()
    sandbox = in_memory_ports(
        store,
        clock=clock,
        rail=InMemoryPaymentRail(),
        audit=InMemoryAuditTrail(store),
        risk=AllowAllRiskScreen(),  # this story is about the rail, not about fraud
    )
    ports = attrs.evolve(sandbox, rail=HttpSpeiRail(api))
    uc = UseCases.build(ports)
    payer = await uc.register_user.execute(RegisterUser(email="ana@example.mx", full_name="Ana"))
    payee = await uc.register_user.execute(RegisterUser(email="beto@example.mx", full_name="Beto"))
    await uc.set_payout_account.execute(
        SetPayoutAccount(user_id=payee.id, clabe=PAYEE_PAYOUT.value, holder_name="Beto")
    )
    return Platform(ports, uc, clock, provider, payer, payee)


async def test_reconciliation_over_http_finds_the_missing_and_unknown_deposits_and_the_stuck_payout(
    platform: Platform, provider: FakeRailProvider, api: RailApiClient
) -> None:
    start = platform.clock.now().replace(hour=0)
    # The provider issued the deposit CLABEs.
    assert set(provider.clabes) == {platform.payer.id, platform.payee.id}

    # A: paid and settled as it should be, every notice delivered.
    clean = await platform.open()
    await platform.webhook(platform.transfer(clean))
    assert (await platform.escrow(clean.id)).state is EscrowState.FUNDED
    clean_payout = await platform.release_and_pay(clean)
    await platform.webhook(provider.settle(clean_payout, "confirmed"))
    assert (await platform.escrow(clean.id)).state is EscrowState.COMPLETED

    # B: the money arrived at the rail, but its webhook never reached the platform.
    lost = platform.transfer(await platform.open())

    # C: "funded" by a deposit the rail never received (a sandbox or forged notice), released,
    # and its payout executed by the rail but never confirmed.
    forged = await platform.open()
    await platform.uc.platform.rail.deposit(
        RecordDeposit(
            tracking_key="TRK-NOT-AT-THE-RAIL",
            clabe=forged.deposit_clabe.value,
            reference=forged.reference,
            amount_minor=forged.amount_due.amount_minor,
            currency="MXN",
            source_clabe="012180012345678909",
            sender_name="Nadie",
            received_at=platform.clock.now(),
        ),
        source="sandbox",
    )
    stuck_payout = await platform.release_and_pay(forged)

    platform.clock.set(start + timedelta(days=1, hours=3))
    queue = InMemoryReconciliationQueue()
    job = ReconcileRailHandler(
        platform.ports.uow,
        platform.clock,
        platform.ports.back_office,
        HttpRailStatement(api),
        queue,
    )
    report = await job.execute(ReconcileRail(since=start, until=start + timedelta(days=1)))

    lost_key = json.loads(lost.body)["tracking_key"]
    assert {(d.kind, d.subject) for d in report.differences} == {
        (DifferenceKind.MISSING_DEPOSIT, lost_key),
        (DifferenceKind.UNKNOWN_DEPOSIT, "TRK-NOT-AT-THE-RAIL"),
        (DifferenceKind.UNCONFIRMED_PAYOUT, stuck_payout),
    }
    assert (report.rail_deposits, report.rail_payouts) == (2, 2)
    assert {d.key for d in await queue.list_open()} == {d.key for d in report.differences}
    stuck = next(d for d in report.differences if d.subject == stuck_payout)
    assert (stuck.recorded_status, stuck.rail_status) == ("sent", "accepted")
    assert all(r.signature_ok for r in provider.requests)
    # Every payout went out once per idempotency key.
    assert len(provider.executions) == len(provider.payouts) == 2
