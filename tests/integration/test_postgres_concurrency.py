"""Concurrency on PostgreSQL through the use cases: races that must leave exactly one outcome.

Every attempt is a use case on its own unit of work, so on its own pooled connection, all
started together with ``asyncio.gather``. A race is only a race if the contenders read before
any of them commits (at READ COMMITTED a unit that reads after a commit is simply refused by
the domain), so each attempt's first unit waits at a :class:`Gate` after its first escrow read
until every attempt has read (or finished): the worst case, every contender working from the
same version. Waiting units hold no locks (their reads ran on their own, outside any
transaction). In that first round exactly one writer may commit; the others must lose with
``ConcurrencyConflictError`` (the scheduler reports them skipped). Then each attempt that
lost is retried, as a client retries a 409 and the rail redelivers a webhook, until the
domain accepts or refuses it: the end state must hold exactly one settlement, one funding,
one recording. The ledger's own race (balances checked without locks, the table's CHECK as
the guard) has a test of its own. The module gets a database of its own, emptied before each
test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import attrs
import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.escrows import SqlEscrowRepository
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import (
    escrow_deposits,
    escrow_payouts,
    escrow_settlements,
    ledger_transactions,
    outbox_messages,
    risk_history,
    unmatched_deposits,
)
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.events import SETTLEMENT_EVENTS, EscrowFunded, PayoutSent
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, FeeSchedule
from kustodia_domain.identity.model import Role
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import held
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.persistence import PAYOUT_TOPIC
from kustodia_domain.services.record_deposit import DepositOutcome, RecordDeposit
from kustodia_domain.services.resolve_dispute import ResolveDispute
from kustodia_domain.services.run_due_jobs import JobReport
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import (
    ConcurrencyConflictError,
    ConflictError,
    KustodiaError,
)
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import MXN
from kustodia_entrypoints.bootstrap.sql import SqlKustodia, build_sql
from tests.contract.builders import deposit_into, transfer
from tests.contract.sql_stores import warm_pool
from tests.integration.databases import (
    empty_postgres,
    migrate,
    require_postgres,
    scratch_postgres_database,
)

pytestmark = pytest.mark.integration

ATTEMPTS = 50
GATE_TIMEOUT_S = 60
AMOUNT = 1_000_000
"""MXN 10,000.00: below the high-value threshold, so one admin's resolution is final."""
POLICY = PlatformPolicy(fees=FeeSchedule(standard_bps=150, dual_approval_bps=250))
SOURCE = Clabe.build("012", "180", "5001").value

Attempt = Callable[[UseCases], Awaitable[object]]


# ---------------------------------------------------------------- the gate
@attrs.define
class _Arrival:
    done: bool = False


_ARRIVAL: ContextVar[_Arrival | None] = ContextVar("arrival", default=None)


class Gate:
    """Holds each attempt after its first escrow read until all ``parties`` have read."""

    def __init__(self, parties: int) -> None:
        self._parties = parties
        self._arrived = 0
        self._open = asyncio.Event()

    async def after_first_read(self) -> None:
        arrival = _ARRIVAL.get()
        if arrival is None or arrival.done:
            return
        self._arrive(arrival)
        await asyncio.wait_for(self._open.wait(), GATE_TIMEOUT_S)

    def leave(self) -> None:
        """An attempt that ended without reading an escrow no longer holds the others up."""
        arrival = _ARRIVAL.get()
        if arrival is not None and not arrival.done:
            self._arrive(arrival)

    def _arrive(self, arrival: _Arrival) -> None:
        arrival.done = True
        self._arrived += 1
        if self._arrived >= self._parties:
            self._open.set()


class _GatedEscrows(SqlEscrowRepository):
    def __init__(self, transaction: CurrentTransaction, gate: Gate) -> None:
        super().__init__(transaction)
        self._gate = gate

    async def get(self, escrow_id: str) -> Escrow:
        found = await super().get(escrow_id)
        await self._gate.after_first_read()
        return found

    async def find_by_reference(self, reference: str) -> Escrow | None:
        found = await super().find_by_reference(reference)
        await self._gate.after_first_read()
        return found

    async def find_by_payout(self, payout_id: str) -> Escrow | None:
        found = await super().find_by_payout(payout_id)
        await self._gate.after_first_read()
        return found


class _GatedUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine: AsyncEngine, gate: Gate) -> None:
        super().__init__(engine)
        self.escrows = _GatedEscrows(self._current, gate)


@attrs.frozen
class Trial:
    """What an attempt got the first time (gated) and once it no longer lost a race."""

    first: object
    last: object


def lost(outcome: object) -> bool:
    """A lost race: the unit wrote nothing and may be retried."""
    if isinstance(outcome, JobReport):
        return any(entry.endswith(": concurrency.conflict") for entry in outcome.skipped)
    return isinstance(outcome, ConcurrencyConflictError)


def committed(outcome: object) -> bool:
    return not lost(outcome) and not isinstance(outcome, KustodiaError)


async def race(app: SqlKustodia, attempts: Sequence[Attempt]) -> list[Trial]:
    """Run ``attempts`` at once through gated use cases, retrying each while it loses.

    A refusal is an outcome, not an exception.
    """
    gate = Gate(len(attempts))
    ports = attrs.evolve(app.ports, uow=lambda: _GatedUnitOfWork(app.engine, gate))
    use_cases = UseCases.build(ports)

    async def outcome(attempt: Attempt) -> object:
        try:
            return await attempt(use_cases)
        except KustodiaError as refused:
            return refused

    async def one(attempt: Attempt) -> Trial:
        _ARRIVAL.set(_Arrival())
        try:
            first = last = await outcome(attempt)
            for _ in range(4 * ATTEMPTS):
                if not lost(last):
                    return Trial(first, last)
                await asyncio.sleep(0)
                last = await outcome(attempt)
            raise AssertionError(f"an attempt lost every race: {last!r}")
        finally:
            gate.leave()

    return list(await asyncio.gather(*(one(attempt) for attempt in attempts)))


def assert_one_commit_in_the_first_round(trials: Sequence[Trial]) -> None:
    """Of the attempts that wrote, one committed; every other lost (none was half-applied)."""
    firsts = [trial.first for trial in trials]
    assert sum(committed(first) for first in firsts) == 1, firsts
    assert all(committed(first) or lost(first) for first in firsts), firsts


# ---------------------------------------------------------------- the world
@attrs.frozen
class World:
    app: SqlKustodia
    payer: UserId
    payee: UserId
    broker: UserId
    admin: UserId


@pytest.fixture(scope="module")
def concurrency_database() -> Iterator[str]:
    """A PostgreSQL database of this module, migrated to head."""
    require_postgres()
    with scratch_postgres_database("concurrency") as url:
        migrate(url)
        yield url


@pytest.fixture
async def engine(concurrency_database: str) -> AsyncIterator[AsyncEngine]:
    """An empty database behind a pool with a connection for every attempt, all open."""
    engine = create_engine(concurrency_database, pool_size=ATTEMPTS + 2, max_overflow=0)
    await empty_postgres(engine)
    await warm_pool(engine, ATTEMPTS + 2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def world(engine: AsyncEngine) -> World:
    return await people(build_sql(engine, policy=POLICY, risk=AllowAllRiskScreen()))


@pytest.fixture
async def screened_world(engine: AsyncEngine) -> World:
    """The same people on the fraud rule engine, its history in this database, four days on.

    Their payout accounts are then older than 72 hours (a newer CLABE holds releases).
    """
    world = await people(build_sql(engine, policy=POLICY))
    world.app.clock.advance(timedelta(days=4))
    return world


async def people(app: SqlKustodia) -> World:
    users = []
    for n, name in enumerate(("payer", "payee", "broker", "admin")):
        role = Role.ADMIN if name == "admin" else Role.USER
        user = await app.use_cases.register_user.execute(
            RegisterUser(email=f"{name}@example.mx", full_name=name.title(), role=role)
        )
        await app.use_cases.set_payout_account.execute(
            SetPayoutAccount(
                user_id=user.id,
                clabe=Clabe.build("002", "180", str(7000 + n)).value,
                holder_name=name.title(),
            )
        )
        users.append(user.id)
    return World(app, *users)


async def open_escrow(
    world: World, kind: EscrowKind, *, broker: bool = False, amount: int = AMOUNT
) -> Escrow:
    return await world.app.use_cases.open_escrow.execute(
        OpenEscrow(
            creator_id=world.payer,
            kind=kind,
            creator_role=CreatorRole.PAYER,
            counterparty_email="payee@example.mx",
            amount_minor=amount,
            currency="MXN",
            custody_percent=100,
            custody_days=1,
            description="goods",
            commissions=(("broker@example.mx", 500),) if broker else (),
        )
    )


def deposit(escrow: Escrow, tracking_key: str, amount: int, at: Any) -> RecordDeposit:
    return RecordDeposit(
        tracking_key=tracking_key,
        clabe=escrow.deposit_clabe.value,
        reference=escrow.reference,
        amount_minor=amount,
        currency="MXN",
        source_clabe=SOURCE,
        sender_name="Payer",
        received_at=at,
    )


async def funded_escrow(world: World, kind: EscrowKind, *, broker: bool = False) -> Escrow:
    escrow = await open_escrow(world, kind, broker=broker)
    now = world.app.clock.now()
    outcome = await world.app.use_cases.record_deposit.execute(
        deposit(escrow, f"trk-{escrow.id}", escrow.amount_due.amount_minor, now)
    )
    assert outcome is DepositOutcome.APPLIED
    return escrow


# ---------------------------------------------------------------- reading the outcome
async def count(engine: AsyncEngine, table: Table, **where: str) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with engine.connect() as connection:
        found: int = (await connection.execute(query)).scalar_one()
        return found


async def stored(
    world: World, escrow_id: str
) -> tuple[Escrow, list[DomainEvent], dict[Account, int]]:
    async with world.app.uow() as uow:
        escrow = await uow.escrows.get(escrow_id)
        events = list(await uow.events.for_aggregate(escrow_id))
        totals = dict(await uow.ledger.signed_totals())
    return escrow, events, totals


def assert_balanced(escrow: Escrow, totals: dict[Account, int]) -> None:
    assert sum(totals.values()) == 0
    assert all(held(account, total) >= 0 for account, total in totals.items())
    custody = Account.custody(escrow.id, MXN)
    assert held(custody, totals.get(custody, 0)) == escrow.custody_balance.amount_minor


async def assert_settled_once(world: World, escrow_id: str) -> Escrow:
    """One settlement event and row, one set of payouts (and their outbox messages)."""
    escrow, events, totals = await stored(world, escrow_id)
    engine = world.app.engine
    assert escrow.settled_at is not None
    assert sum(isinstance(event, SETTLEMENT_EVENTS) for event in events) == 1
    assert await count(engine, escrow_settlements, escrow_id=escrow_id) == 1
    async with engine.connect() as connection:
        payout_rows = (
            await connection.execute(
                select(escrow_payouts.c.payout_id).where(escrow_payouts.c.escrow_id == escrow_id)
            )
        ).scalars()
        messages = (await connection.execute(select(outbox_messages.c.key))).scalars()
        payout_ids = sorted(payout_rows)
        queued = [key for key in messages if key.startswith(f"{PAYOUT_TOPIC}:{escrow_id}-")]
    assert payout_ids == sorted(p.id for p in escrow.payouts)
    assert len(queued) == len(escrow.payouts)
    assert_balanced(escrow, totals)
    return escrow


def settled(outcome: object) -> bool:
    """Whether this attempt's unit settled the escrow."""
    if isinstance(outcome, JobReport):
        return outcome.released == 1
    if isinstance(outcome, Dispute):
        return outcome.resolution is not None
    return isinstance(outcome, Escrow) and outcome.settled_at is not None


# ---------------------------------------------------------------- settlement races
def approve(escrow_id: str, actor: UserId) -> Attempt:
    return lambda uc: uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow_id, actor_id=actor)
    )


def run_jobs(world: World) -> Attempt:
    return lambda uc: uc.run_due_jobs.execute(world.app.clock.now())


def resolve(dispute_id: str, admin: UserId, n: int) -> Attempt:
    resolution = list(Resolution)[n % len(Resolution)]
    command = ResolveDispute(
        dispute_id=dispute_id,
        admin_id=admin,
        resolution=resolution,
        reason=f"reviewed by attempt {n}",
        payee_amount_minor=AMOUNT // 2 if resolution is Resolution.SPLIT else None,
    )
    return lambda uc: uc.resolve_dispute.execute(command)


async def test_fifty_attempts_at_the_deadline_release_a_standard_escrow_once(
    world: World,
) -> None:
    escrow = await funded_escrow(world, EscrowKind.STANDARD)
    world.app.clock.advance(timedelta(days=2))
    attempts = [approve(escrow.id, world.payer) for _ in range(20)]
    attempts += [approve(escrow.id, world.payee) for _ in range(10)]
    attempts += [run_jobs(world) for _ in range(ATTEMPTS - len(attempts))]

    trials = await race(world.app, attempts)

    # Every attempt writes (a screening is recorded on the escrow even when it settles nothing).
    assert_one_commit_in_the_first_round(trials)
    assert sum(settled(trial.last) for trial in trials) == 1
    # The payer's and the clock's attempts that did not settle were refused or found nothing
    # left to do; the payee's approval on a standard escrow never settles.
    payer, payee, clock = trials[:20], trials[20:30], trials[30:]
    assert all(settled(t.last) or isinstance(t.last, ConflictError) for t in payer)
    assert all(isinstance(t.last, Escrow | ConflictError) for t in payee)
    assert all(isinstance(t.last, JobReport) and not t.last.skipped for t in clock)
    released = await assert_settled_once(world, escrow.id)
    assert released.state is EscrowState.RELEASED


async def test_fifty_approvals_by_both_parties_release_a_dual_approval_escrow_once(
    world: World,
) -> None:
    escrow = await funded_escrow(world, EscrowKind.DUAL_APPROVAL, broker=True)
    uc = world.app.use_cases
    world.app.clock.advance(timedelta(days=2))
    # The clock never releases a dual-approval escrow; today's reminder is already out.
    assert (await uc.run_due_jobs.execute(world.app.clock.now())).reminded == 1
    writers = [approve(escrow.id, world.payer) for _ in range(20)]
    writers += [approve(escrow.id, world.payee) for _ in range(20)]
    idle = [run_jobs(world) for _ in range(ATTEMPTS - len(writers))]

    trials = await race(world.app, [*writers, *idle])

    assert_one_commit_in_the_first_round(trials[: len(writers)])
    assert sum(settled(trial.last) for trial in trials) == 1
    assert all(
        isinstance(t.last, JobReport) and attrs.astuple(t.last) == attrs.astuple(JobReport())
        for t in trials[len(writers) :]
    )
    released = await assert_settled_once(world, escrow.id)
    assert released.state is EscrowState.RELEASED
    paid = {payout.beneficiary_id for payout in released.payouts}
    assert {world.payee, world.broker} <= paid


async def test_fifty_attempts_on_a_disputed_escrow_settle_it_once_by_one_admin(
    world: World,
) -> None:
    escrow = await funded_escrow(world, EscrowKind.STANDARD)
    uc = world.app.use_cases
    dispute = await uc.open_dispute.execute(
        OpenDispute(escrow_id=escrow.id, actor_id=world.payer, reason="late", details="no show")
    )
    world.app.clock.advance(timedelta(days=2))
    # Yield accrues on disputed custody too: today's accrual is in before the race.
    await uc.run_due_jobs.execute(world.app.clock.now())
    resolutions = [resolve(dispute.id, world.admin, n) for n in range(30)]
    refused = [approve(escrow.id, world.payer) for _ in range(8)]
    refused += [approve(escrow.id, world.payee) for _ in range(7)]
    idle = [run_jobs(world) for _ in range(ATTEMPTS - len(resolutions) - len(refused))]

    trials = await race(world.app, [*resolutions, *refused, *idle])

    assert_one_commit_in_the_first_round(trials[: len(resolutions)])
    assert sum(settled(trial.last) for trial in trials) == 1
    # The other admins find the dispute closed; a disputed escrow is never released by its
    # parties nor by the clock.
    assert all(settled(t.last) or isinstance(t.last, ConflictError) for t in trials[:30])
    assert all(isinstance(t.first, ConflictError) for t in trials[30:45])
    assert all(isinstance(t.last, JobReport) and t.last.released == 0 for t in trials[45:])
    settled_escrow = await assert_settled_once(world, escrow.id)
    assert settled_escrow.state in {EscrowState.RELEASED, EscrowState.REFUNDED, EscrowState.SPLIT}


# ---------------------------------------------------------------- deposits
def recording(command: RecordDeposit) -> Attempt:
    """The rail's delivery of ``command``."""
    return lambda uc: uc.record_deposit.execute(command)


async def test_fifty_partial_deposits_fund_the_escrow_once_with_the_amount_due(
    world: World,
) -> None:
    escrow = await open_escrow(world, EscrowKind.STANDARD)
    due = escrow.amount_due.amount_minor
    # Twenty of them cover the amount due; the one that crosses it is partly refunded, and
    # the ones after it (the escrow is funded by then) are returned whole.
    share = due // 20 + 1
    now = world.app.clock.now()
    commands = [deposit(escrow, f"trk-{n:02d}", share, now) for n in range(ATTEMPTS)]

    trials = await race(world.app, [recording(command) for command in commands])

    assert_one_commit_in_the_first_round(trials)
    assert [trial.last for trial in trials] == [DepositOutcome.APPLIED] * ATTEMPTS
    funded, events, totals = await stored(world, escrow.id)
    assert funded.state is EscrowState.FUNDED
    assert sum(isinstance(event, EscrowFunded) for event in events) == 1
    assert funded.funded_amount.amount_minor == due
    assert sorted(d.tracking_key for d in funded.deposits) == [c.tracking_key for c in commands]
    assert all(d.applied + d.excess == d.amount for d in funded.deposits)
    assert await count(world.app.engine, escrow_deposits, escrow_id=escrow.id) == ATTEMPTS
    deposited, refunded = share * ATTEMPTS, share * ATTEMPTS - due
    assert sum(p.amount.amount_minor for p in funded.payouts if p.beneficiary_id) == refunded
    assert totals[Account.rail_cash(MXN)] == deposited
    assert held(Account.payable(world.payer, MXN), totals[Account.payable(world.payer, MXN)]) == (
        refunded
    )
    assert funded.custody_balance.amount_minor == AMOUNT
    assert_balanced(funded, totals)


@pytest.mark.parametrize("matched", [True, False], ids=["to-an-escrow", "unmatched"])
async def test_the_same_deposit_replayed_fifty_times_at_once_is_recorded_once(
    world: World, matched: bool
) -> None:
    escrow = await open_escrow(world, EscrowKind.STANDARD)
    command = deposit(escrow, "trk-replayed", escrow.amount_due.amount_minor, world.app.clock.now())
    if not matched:
        command = attrs.evolve(command, reference="9999999")

    trials = await race(world.app, [recording(command)] * ATTEMPTS)

    # A replay that read before the recording committed lost its race (or, unmatched, waited
    # for the suspense row and found it); retried, every replay is a duplicate.
    recorded = DepositOutcome.APPLIED if matched else DepositOutcome.UNMATCHED
    firsts = [trial.first for trial in trials]
    assert firsts.count(recorded) == 1
    odd = [f for f in firsts if not (f in {recorded, DepositOutcome.DUPLICATE} or lost(f))]
    assert odd == []
    outcomes = [trial.last for trial in trials]
    assert outcomes.count(recorded) == 1
    assert outcomes.count(DepositOutcome.DUPLICATE) == ATTEMPTS - 1
    engine = world.app.engine
    assert await count(engine, ledger_transactions, key="deposit:trk-replayed") == 1
    assert await count(engine, escrow_deposits) == (1 if matched else 0)
    assert await count(engine, unmatched_deposits) == (0 if matched else 1)
    funded, _, totals = await stored(world, escrow.id)
    assert totals[Account.rail_cash(MXN)] == command.amount_minor
    assert funded.state is (EscrowState.FUNDED if matched else EscrowState.AWAITING_FUNDS)
    assert_balanced(funded, totals)


# ---------------------------------------------------------------- the ledger
async def test_two_units_that_together_would_overdraw_an_account_write_one(
    engine: AsyncEngine,
) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.ledger.post(deposit_into("esc_1", 10_000, key="dep-1"))
        await uow.commit()
    custody = Account.custody("esc_1", MXN)
    gate = Gate(2)

    async def draw(n: int) -> object:
        _ARRIVAL.set(_Arrival())
        try:
            async with SqlUnitOfWork(engine) as uow:
                # Each unit checks the balance (6,000 of 10,000 is fine) before either writes.
                drawn = transfer(custody, Account.payable(f"usr_{n}", MXN), 6_000, key=f"pay-{n}")
                await uow.ledger.post(drawn)
                await gate.after_first_read()
                await uow.commit()
        except KustodiaError as refused:
            return refused
        finally:
            gate.leave()
        return None

    outcomes = await asyncio.gather(draw(1), draw(2))

    # The balances are read without locks; the table's never-negative CHECK refuses the
    # second write, and the unit writes nothing.
    assert sum(outcome is None for outcome in outcomes) == 1
    assert sum(isinstance(outcome, ConcurrencyConflictError) for outcome in outcomes) == 1
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.ledger.balance(custody) == 4_000
        assert len(await uow.ledger.transactions_for_escrow("esc_1")) == 1
        totals = await uow.ledger.signed_totals()
    assert sum(totals.values()) == 0


PAYERS_ACCOUNT = Clabe.build("002", "180", "7000").value
"""The payout account ``people`` gives the payer, where a payer the rules trust funds from."""


async def payers_funding(world: World, tracking_key: str) -> RecordDeposit:
    """A new escrow the rule engine lets through, and the deposit that funds it.

    The payer funds from its own account, MXN 2,010.00 and its fee: two of them in a month stay
    under the N1 monthly cap.
    """
    escrow = await open_escrow(world, EscrowKind.STANDARD, amount=201_000)
    funding = deposit(escrow, tracking_key, escrow.amount_due.amount_minor, world.app.clock.now())
    return attrs.evolve(funding, source_clabe=PAYERS_ACCOUNT)


async def test_ten_schedulers_at_the_deadline_record_one_screening_of_the_release(
    screened_world: World,
) -> None:
    world = screened_world
    funding = await payers_funding(world, "trk-own")
    outcome = await world.app.use_cases.record_deposit.execute(funding)
    assert outcome is DepositOutcome.APPLIED
    world.app.clock.advance(timedelta(days=2))

    trials = await race(world.app, [run_jobs(world) for _ in range(10)])

    # Each scheduler read the escrow at the same version before any screened it: one records
    # the screening, the others get its decision or lose the race to record it (skipped,
    # then run again and find the escrow released).
    assert sum(settled(trial.last) for trial in trials) == 1
    released = await escrow_by_reference(world, funding.reference)
    await assert_settled_once(world, released.id)
    assert released.state is EscrowState.RELEASED
    engine = world.app.engine
    assert await count(engine, risk_history, escrow_id=released.id, kind="release") == 1


async def test_the_same_deposit_reported_ten_times_at_once_is_screened_once(
    screened_world: World,
) -> None:
    world = screened_world
    funding = await payers_funding(world, "trk-own")

    trials = await race(world.app, [recording(funding)] * 10)

    outcomes = [trial.last for trial in trials]
    assert outcomes.count(DepositOutcome.APPLIED) == 1
    assert outcomes.count(DepositOutcome.DUPLICATE) == 9
    funded = await escrow_by_reference(world, funding.reference)
    assert funded.state is EscrowState.FUNDED
    engine = world.app.engine
    assert await count(engine, risk_history, escrow_id=funded.id, kind="escrow.fund") == 1
    # The payer's monthly inflow counts the money once: a second escrow of the same size fits
    # under the N1 cap (it would not if the first deposit counted ten times).
    again = await payers_funding(world, "trk-next")
    assert await world.app.use_cases.record_deposit.execute(again) is DepositOutcome.APPLIED


async def escrow_by_reference(world: World, reference: str) -> Escrow:
    async with world.app.uow() as uow:
        found = await uow.escrows.find_by_reference(reference)
    assert found is not None
    return found


# ---------------------------------------------------------------- payouts
async def test_two_dispatchers_send_each_payout_once(world: World) -> None:
    escrow = await funded_escrow(world, EscrowKind.STANDARD, broker=True)
    uc = world.app.use_cases
    await uc.approve_release.execute(ApproveRelease(escrow_id=escrow.id, actor_id=world.payer))

    await race(world.app, [lambda uc: uc.dispatch_payouts.execute()] * 2)
    # A payout whose outcome one dispatcher could not record (the other saved the escrow
    # first) is sent again later with the same key: the rail answers with its first receipt.
    for _ in range(10):
        if not await payouts_waiting(world):
            break
        world.app.clock.advance(timedelta(hours=1))
        await uc.dispatch_payouts.execute()

    released, events, _ = await stored(world, escrow.id)
    keys = [order.idempotency_key for order in world.app.rail.sent]
    assert sorted(keys) == sorted(p.idempotency_key for p in released.payouts)
    assert len(keys) == len(set(keys)) == 3  # the fee, the payee, the broker
    sent = [e.payout_id for e in events if isinstance(e, PayoutSent)]
    assert sorted(sent) == sorted(p.id for p in released.payouts)
    assert await payouts_waiting(world) == []


async def payouts_waiting(world: World) -> list[str]:
    async with world.app.uow() as uow:
        waiting = await uow.outbox.pending(1_000)
    return [message.key for message in waiting if message.topic == PAYOUT_TOPIC]
