"""Workers against PostgreSQL: several at once with the API, and one killed mid-batch.

Two workers (each its own composition and id, as two processes would be) run passes while
API-style use-case calls release escrows, over a few hundred escrows: every payout goes to the
rail exactly once (the sandbox rail counts its calls per idempotency key), every due escrow is
released once, and the outbox ends empty. Then a worker is killed after it claimed a batch and
before it completed it: nothing is lost, its leases expire, and another worker finishes the
work, still paying once. The run gets a database of its own, emptied before each test.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import attrs
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.tables import escrow_payouts, escrow_settlements, outbox_messages
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, FeeSchedule
from kustodia_domain.ports.notifications import Notification, Notifier
from kustodia_domain.ports.payment_rail import PayoutOrder, PayoutReceipt
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.operations import Operations
from kustodia_domain.services.persistence import PAYOUT_TOPIC
from kustodia_domain.services.record_deposit import DepositOutcome, RecordDeposit
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ConcurrencyConflictError, KustodiaError
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.bootstrap.sql import SqlKustodia, build_sql
from kustodia_entrypoints.bootstrap.worker import worker_operations
from tests.contract.sql_stores import warm_pool
from tests.integration.databases import (
    empty_postgres,
    migrate,
    require_postgres,
    scratch_postgres_database,
)

pytestmark = pytest.mark.integration

ESCROWS = 200
"""Half released by the payer through the API, half by the clock (the worker's due jobs)."""
AMOUNT = 500_000
POLICY = PlatformPolicy(fees=FeeSchedule(standard_bps=150, dual_approval_bps=250))
SOURCE = Clabe.build("012", "180", "5001").value
POOL = 24
DEADLINE_S = 60


class CountingRail(InMemoryPaymentRail):
    """The sandbox rail, counting every call per idempotency key (executed or answered)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        self.calls[order.idempotency_key] += 1
        await asyncio.sleep(0)  # let the other worker and the API run in between
        return await super().send_payout(order)


class QuietNotifier(Notifier):
    """Accepts every e-mail and prints nothing."""

    async def deliver(self, notification: Notification, email: str) -> None:
        return None


@pytest.fixture(scope="module")
def workers_database() -> Iterator[str]:
    """A PostgreSQL database of this module, migrated to head."""
    require_postgres()
    with scratch_postgres_database("workers") as url:
        migrate(url)
        yield url


@pytest.fixture
async def engine(workers_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(workers_database, pool_size=POOL, max_overflow=0)
    await empty_postgres(engine)
    await warm_pool(engine, POOL)
    yield engine
    await engine.dispose()


@attrs.frozen
class World:
    app: SqlKustodia
    rail: CountingRail
    payer: UserId

    def worker(self) -> Operations:
        """A worker's own composition over the same database, rail and clock."""
        operations = worker_operations(UseCases.build(self.app.ports))
        assert operations.deliver_emails is not None
        quiet = attrs.evolve(operations.deliver_emails, notifier=QuietNotifier())
        return attrs.evolve(operations, deliver_emails=quiet)


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    rail = CountingRail()
    app = build_sql(engine, policy=POLICY, risk=AllowAllRiskScreen(), rail=rail)
    ids = []
    for n, name in enumerate(("payer", "payee")):
        user = await app.use_cases.register_user.execute(
            RegisterUser(email=f"{name}@example.mx", full_name=name.title())
        )
        await app.use_cases.set_payout_account.execute(
            SetPayoutAccount(
                user_id=user.id,
                clabe=Clabe.build("002", "180", str(7000 + n)).value,
                holder_name=name.title(),
            )
        )
        ids.append(user.id)
    return World(app, rail, ids[0])


async def funded_escrows(world: World, count: int) -> list[Escrow]:
    uc = world.app.use_cases
    escrows = []
    for _ in range(count):
        escrow = await uc.open_escrow.execute(
            OpenEscrow(
                creator_id=world.payer,
                kind=EscrowKind.STANDARD,
                creator_role=CreatorRole.PAYER,
                counterparty_email="payee@example.mx",
                amount_minor=AMOUNT,
                currency="MXN",
                custody_percent=100,
                custody_days=1,
                description="goods",
            )
        )
        outcome = await uc.record_deposit.execute(
            RecordDeposit(
                tracking_key=f"trk-{escrow.id}",
                clabe=escrow.deposit_clabe.value,
                reference=escrow.reference,
                amount_minor=escrow.amount_due.amount_minor,
                currency="MXN",
                source_clabe=SOURCE,
                sender_name="Payer",
                received_at=world.app.clock.now(),
            )
        )
        assert outcome is DepositOutcome.APPLIED
        escrows.append(escrow)
    return escrows


async def scalar(engine: AsyncEngine, query: object) -> int:
    async with engine.connect() as connection:
        found: int = (await connection.execute(query)).scalar_one()  # type: ignore[call-overload]
        return found


async def pending_messages(engine: AsyncEngine) -> int:
    query = (
        select(func.count())
        .select_from(outbox_messages)
        .where(outbox_messages.c.dispatched_at.is_(None))
    )
    return await scalar(engine, query)


async def payouts(world: World) -> list[tuple[str, PayoutStatus]]:
    """Every payout's idempotency key and status, as stored."""
    async with world.app.engine.connect() as connection:
        ids = (await connection.execute(select(escrow_payouts.c.escrow_id).distinct())).scalars()
        escrow_ids = list(ids)
    async with world.app.uow() as uow:
        return [
            (payout.idempotency_key, payout.status)
            for escrow_id in escrow_ids
            for payout in (await uow.escrows.get(escrow_id)).payouts
        ]


async def run_worker(
    world: World, worker_id: str, done: asyncio.Event, failures: list[BaseException]
) -> int:
    """Passes until the API is done and a pass finds nothing to do; returns how many ran."""
    operations = world.worker()
    passes = 0
    while True:
        finished = done.is_set()
        try:
            did = await operations.worker_pass(world.app.clock.now(), worker_id)
        except KustodiaError as error:  # logged and retried by the real loop
            failures.append(error)
            continue
        passes += 1
        if finished and not (did.jobs.released or did.payouts_sent or did.emails_sent):
            return passes
        await asyncio.sleep(0)


async def api_release(world: World, escrow: Escrow) -> None:
    """The payer approves the release, as the API would, retrying a lost race."""
    for _ in range(100):
        try:
            await world.app.use_cases.approve_release.execute(
                ApproveRelease(escrow_id=escrow.id, actor_id=world.payer)
            )
        except ConcurrencyConflictError:
            await asyncio.sleep(0)  # the worker's due job was at the escrow: try again
        except KustodiaError:
            return  # the worker released it first: the API is told so
        else:
            return


# ---------------------------------------------------------------- two workers and the API
async def test_two_workers_and_the_api_pay_every_payout_once_and_release_every_escrow_once(
    world: World,
) -> None:
    escrows = await funded_escrows(world, ESCROWS)
    started = time.monotonic()
    world.app.clock.set(world.app.clock.now() + timedelta(days=2))  # every custody is due
    api_released = escrows[::2]
    done = asyncio.Event()
    failures: list[BaseException] = []

    async def api_calls() -> None:
        await asyncio.gather(*(api_release(world, escrow) for escrow in api_released))
        done.set()

    async with asyncio.timeout(DEADLINE_S):
        passes = await asyncio.gather(
            run_worker(world, "w1", done, failures),
            run_worker(world, "w2", done, failures),
            api_calls(),
        )

    assert failures == []
    assert passes[0]
    assert passes[1]
    stored = await payouts(world)
    assert len(stored) >= ESCROWS
    assert {status for _, status in stored} == {PayoutStatus.SENT}
    keys = [key for key, _ in stored]
    assert world.rail.calls == Counter(dict.fromkeys(keys, 1))  # every payout asked for once
    assert Counter(o.idempotency_key for o in world.rail.sent) == Counter(dict.fromkeys(keys, 1))
    assert await scalar(world.app.engine, select(func.count()).select_from(escrow_settlements)) == (
        ESCROWS
    )
    async with world.app.uow() as uow:
        states = {(await uow.escrows.get(e.id)).state for e in escrows}
    assert states <= {EscrowState.RELEASED, EscrowState.COMPLETED}
    assert await pending_messages(world.app.engine) == 0
    assert time.monotonic() - started < DEADLINE_S


# ---------------------------------------------------------------- a worker killed mid-batch
class StallingRail(InMemoryPaymentRail):
    """Executes the first order, then never answers: the worker dies before recording it."""

    def __init__(self, rail: InMemoryPaymentRail) -> None:
        super().__init__()
        self.rail = rail
        self.stalled = asyncio.Event()

    async def send_payout(self, order: PayoutOrder) -> PayoutReceipt:
        await self.rail.send_payout(order)
        self.stalled.set()
        await asyncio.Event().wait()  # until cancelled
        raise AssertionError("unreachable")


async def test_a_worker_killed_mid_batch_loses_nothing_and_another_finishes_once(
    world: World,
) -> None:
    escrows = await funded_escrows(world, 20)
    for escrow in escrows:
        await world.app.use_cases.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=world.payer)
        )
    expected = [key for key, status in await payouts(world) if status is PayoutStatus.PENDING]
    assert len(expected) >= len(escrows)

    doomed = world.worker()
    stalling = StallingRail(world.rail)
    doomed = attrs.evolve(
        doomed, dispatch_payouts=attrs.evolve(doomed.dispatch_payouts, rail=stalling)
    )
    task = asyncio.create_task(doomed.dispatch_payouts.execute(worker_id="doomed"))
    await asyncio.wait_for(stalling.stalled.wait(), 10)
    task.cancel()  # killed after its claim and its first rail call, before any completion
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(world.rail.sent) == 1

    survivor = world.worker()
    assert await survivor.dispatch_payouts.execute(worker_id="survivor") == 0  # leases hold
    lease = survivor.dispatch_payouts.policy.lease
    world.app.clock.set(world.app.clock.now() + lease)
    assert await survivor.dispatch_payouts.execute(worker_id="survivor") == len(expected)
    assert await survivor.dispatch_payouts.execute(worker_id="survivor") == 0

    stored = await payouts(world)
    assert {status for _, status in stored} == {PayoutStatus.SENT}
    executed = Counter(o.idempotency_key for o in world.rail.sent)
    assert executed == Counter(dict.fromkeys(expected, 1))
    assert max(world.rail.calls.values()) <= 2  # the stalled one was asked again, not paid again
    query = (
        select(func.count())
        .select_from(outbox_messages)
        .where(outbox_messages.c.topic == PAYOUT_TOPIC, outbox_messages.c.dispatched_at.is_(None))
    )
    assert await scalar(world.app.engine, query) == 0
