"""Reconciliation: the books against the rail's statement, every difference queued once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from kustodia_adapters.in_memory.back_office import InMemoryBackOfficeReads
from kustodia_adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutStatus
from kustodia_domain.ports.payment_rail import RailPayoutStatus
from kustodia_domain.ports.rail_statement import RailDeposit, RailPayout, RailStatementReader
from kustodia_domain.ports.reconciliation_queue import DifferenceKind, ReconciliationDifference
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.reconcile_rail import (
    ReconcileRail,
    ReconcileRailHandler,
    ReconciliationReport,
)
from kustodia_domain.services.record_deposit import DepositOutcome
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import MXN, Money
from tests.unit.services.scenario import AMOUNT, World, mxn

DAY = timedelta(days=1)


class ScriptedStatement(RailStatementReader):
    """The rail's statement as a test writes it: what the rail received and executed."""

    def __init__(self) -> None:
        self.received: list[RailDeposit] = []
        self.executed: dict[str, RailPayout] = {}

    async def deposits(self, since: datetime, until: datetime) -> Sequence[RailDeposit]:
        return [d for d in self.received if since <= d.received_at < until]

    async def payouts(self, since: datetime, until: datetime) -> Sequence[RailPayout]:
        return [p for p in self.executed.values() if since <= p.updated_at < until]

    async def payout(self, payout_id: str) -> RailPayout | None:
        return self.executed.get(payout_id)

    def execute(self, payout_id: str, amount: Money, at: datetime) -> None:
        self.executed[payout_id] = RailPayout(
            payout_id=payout_id,
            rail_reference=f"po_{len(self.executed) + 1:06d}",
            amount=amount,
            status=RailPayoutStatus.ACCEPTED,
            created_at=at,
            updated_at=at,
        )

    def settle(self, payout_id: str, status: RailPayoutStatus, at: datetime) -> None:
        self.executed[payout_id] = attrs.evolve(
            self.executed[payout_id], status=status, updated_at=at
        )


@attrs.define
class Books:
    """The in-memory product, the rail's statement beside it, and the reconciliation job."""

    world: World
    statement: ScriptedStatement
    queue: InMemoryReconciliationQueue
    handler: ReconcileRailHandler
    start: datetime

    @property
    def now(self) -> datetime:
        return self.world.app.clock.now()

    async def deposit(
        self,
        escrow: Escrow,
        amount: int | None = None,
        *,
        booked: bool = True,
        on_rail: bool = True,
        rail_amount: int | None = None,
        reference: str | None = None,
    ) -> str:
        """A deposit into ``escrow``'s CLABE; returns its tracking key."""
        if amount is None:
            amount = (escrow.amount_due - escrow.funded_amount).amount_minor
        cmd = self.world.deposit_command(escrow, amount, reference=reference)
        if booked:
            assert await self.world.uc.record_deposit.execute(cmd) in (
                DepositOutcome.APPLIED,
                DepositOutcome.UNMATCHED,
            )
        if on_rail:
            self.statement.received.append(
                RailDeposit(
                    tracking_key=cmd.tracking_key,
                    clabe=cmd.clabe,
                    reference=cmd.reference,
                    amount=mxn(amount if rail_amount is None else rail_amount),
                    received_at=cmd.received_at,
                )
            )
        return cmd.tracking_key

    async def released(self, *, rail_amount: int | None = None) -> Payout:
        """A funded escrow released, its payout sent and executed by the rail (accepted)."""
        escrow = await self.world.open()
        await self.deposit(escrow)
        await self.world.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=self.world.payer.id)
        )
        sent_before = len(self.world.app.rail.sent)
        await self.world.uc.dispatch_payouts.execute()
        [order] = self.world.app.rail.sent[sent_before:]
        amount = order.amount if rail_amount is None else mxn(rail_amount)
        self.statement.execute(order.payout_id, amount, self.now)
        return (await self.world.escrow(escrow.id)).payout(order.payout_id)

    async def confirm_in_books(self, payout: Payout) -> None:
        await self.world.uc.confirm_payout.execute(PayoutNotice(payout_id=payout.id))

    async def confirmed_everywhere(self) -> Payout:
        payout = await self.released()
        self.statement.settle(payout.id, RailPayoutStatus.CONFIRMED, self.now)
        await self.confirm_in_books(payout)
        return payout

    async def reconcile(
        self, *, day: int = 0, run_at: timedelta = timedelta(hours=2)
    ) -> ReconciliationReport:
        """Reconcile day ``day`` (0 is the first) once it has been over for ``run_at``."""
        since = self.start + day * DAY
        self.world.app.clock.set(max(self.now, since + DAY + run_at))
        return await self.handler.execute(ReconcileRail(since=since, until=since + DAY))


@pytest.fixture
def books(world: World) -> Books:
    statement, queue = ScriptedStatement(), InMemoryReconciliationQueue()
    handler = ReconcileRailHandler(
        world.app.uow,
        world.app.clock,
        InMemoryBackOfficeReads(world.app.store),
        statement,
        queue,
        page_size=2,  # several pages in every test
    )
    return Books(world, statement, queue, handler, start=world.app.clock.now())


def found(report: ReconciliationReport) -> set[tuple[DifferenceKind, str]]:
    return {(d.kind, d.subject) for d in report.differences}


def only(report: ReconciliationReport) -> ReconciliationDifference:
    [difference] = report.differences
    return difference


# ---------------------------------------------------------------------- the headline case
async def test_finds_a_missing_deposit_an_unknown_deposit_and_a_payout_never_confirmed(
    books: Books,
) -> None:
    await books.confirmed_everywhere()  # and books that agree with the rail, around them
    lost = await books.deposit(await books.world.open(), booked=False)
    forged = await books.deposit(await books.world.open(), AMOUNT // 2, on_rail=False)
    stuck = await books.released()

    report = await books.reconcile()

    assert found(report) == {
        (DifferenceKind.MISSING_DEPOSIT, lost),
        (DifferenceKind.UNKNOWN_DEPOSIT, forged),
        (DifferenceKind.UNCONFIRMED_PAYOUT, stuck.id),
    }
    assert report.queued == 3
    assert {d.key for d in await books.queue.list_open()} == {d.key for d in report.differences}


# ---------------------------------------------------------------------- deposits
async def test_books_that_agree_with_the_rail_make_no_difference(books: Books) -> None:
    await books.confirmed_everywhere()
    partial = await books.world.open()
    await books.deposit(partial, AMOUNT // 4)
    await books.deposit(partial, AMOUNT // 4)
    await books.deposit(partial, reference="0000000")  # matches nothing: held in suspense

    report = await books.reconcile()

    assert report.differences == ()
    assert (report.rail_deposits, report.rail_payouts) == (4, 1)
    assert await books.queue.list_open() == []


async def test_a_deposit_the_books_never_recorded_is_missing(books: Books) -> None:
    escrow = await books.world.open()
    key = await books.deposit(escrow, booked=False)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject) == (DifferenceKind.MISSING_DEPOSIT, key)
    assert (difference.rail_amount, difference.recorded_amount) == (mxn(AMOUNT), None)
    assert escrow.reference in difference.detail
    assert (difference.period_start, difference.period_end) == (books.start, books.start + DAY)


async def test_a_deposit_the_rail_does_not_know_is_unknown_on_an_escrow_or_in_suspense(
    books: Books,
) -> None:
    escrow = await books.world.open()
    on_escrow = await books.deposit(escrow, on_rail=False)
    in_suspense = await books.deposit(escrow, 1_000, on_rail=False, reference="0000000")

    report = await books.reconcile()

    assert found(report) == {
        (DifferenceKind.UNKNOWN_DEPOSIT, on_escrow),
        (DifferenceKind.UNKNOWN_DEPOSIT, in_suspense),
    }
    by_subject = {d.subject: d for d in report.differences}
    assert by_subject[on_escrow].escrow_id == escrow.id
    assert by_subject[in_suspense].escrow_id is None
    assert by_subject[in_suspense].recorded_amount == mxn(1_000)


async def test_a_deposit_outside_the_period_is_not_compared(books: Books) -> None:
    await books.deposit(await books.world.open(), on_rail=False)
    assert (await books.reconcile(day=1)).differences == ()


async def test_a_deposit_of_another_amount_is_a_mismatch_against_the_ledger(
    books: Books,
) -> None:
    escrow = await books.world.open()
    key = await books.deposit(escrow, rail_amount=AMOUNT + 1)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject, difference.escrow_id) == (
        DifferenceKind.DEPOSIT_AMOUNT_MISMATCH,
        key,
        escrow.id,
    )
    assert (difference.rail_amount, difference.recorded_amount) == (mxn(AMOUNT + 1), mxn(AMOUNT))


# ---------------------------------------------------------------------- payouts
async def test_a_payout_confirmed_in_the_books_that_the_rail_never_confirmed(
    books: Books,
) -> None:
    payout = await books.released()
    await books.confirm_in_books(payout)  # e.g. a confirmation the rail never sent

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject) == (DifferenceKind.UNCONFIRMED_PAYOUT, payout.id)
    assert (difference.recorded_status, difference.rail_status) == ("confirmed", "accepted")


async def test_a_sent_payout_the_rail_has_no_record_of_is_unconfirmed(books: Books) -> None:
    payout = await books.released()
    del books.statement.executed[payout.id]

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject) == (DifferenceKind.UNCONFIRMED_PAYOUT, payout.id)
    assert (difference.recorded_status, difference.rail_status) == ("sent", None)
    assert "no record" in difference.detail


async def test_a_sent_payout_is_in_flight_until_the_grace_ends_and_is_checked_every_period(
    books: Books,
) -> None:
    patient = attrs.evolve(books.handler, settlement_grace=timedelta(days=2, hours=12))
    books.handler = patient
    payout = await books.released()

    assert (await books.reconcile(day=0)).differences == ()
    assert (await books.reconcile(day=1)).differences == ()
    late = only(await books.reconcile(day=2))  # three days on, outside the payout's period

    assert (late.kind, late.subject) == (DifferenceKind.UNCONFIRMED_PAYOUT, payout.id)
    assert (late.period_start, late.recorded_status) == (books.start + 2 * DAY, "sent")


async def test_a_payout_the_rail_returned_is_reported_until_the_books_record_it(
    books: Books,
) -> None:
    payout = await books.confirmed_everywhere()
    books.statement.settle(payout.id, RailPayoutStatus.RETURNED, books.now)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject) == (DifferenceKind.RETURNED_PAYOUT, payout.id)
    assert (difference.recorded_status, difference.rail_status) == ("confirmed", "returned")


async def test_a_confirmation_the_books_never_recorded_is_a_status_mismatch(
    books: Books,
) -> None:
    payout = await books.released()
    books.statement.settle(payout.id, RailPayoutStatus.CONFIRMED, books.now)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.recorded_status, difference.rail_status) == (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        "sent",
        "confirmed",
    )


async def test_a_payout_the_books_do_not_know_is_unrecorded(books: Books) -> None:
    books.statement.execute("pay_from_nowhere", mxn(123_456), books.now)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.subject, difference.rail_amount) == (
        DifferenceKind.UNRECORDED_PAYOUT,
        "pay_from_nowhere",
        mxn(123_456),
    )


async def test_a_payout_of_another_amount_is_a_mismatch(books: Books) -> None:
    payout = await books.released(rail_amount=AMOUNT - 100)
    books.statement.settle(payout.id, RailPayoutStatus.CONFIRMED, books.now)
    await books.confirm_in_books(payout)

    difference = only(await books.reconcile())

    assert (difference.kind, difference.rail_amount, difference.recorded_amount) == (
        DifferenceKind.PAYOUT_AMOUNT_MISMATCH,
        mxn(AMOUNT - 100),
        payout.amount,
    )


async def test_a_payout_the_rail_executed_but_the_books_hold_pending_is_a_mismatch(
    books: Books,
) -> None:
    escrow = await books.world.open()
    await books.deposit(escrow)
    await books.world.uc.approve_release.execute(
        ApproveRelease(escrow_id=escrow.id, actor_id=books.world.payer.id)
    )
    [payout] = (await books.world.escrow(escrow.id)).payouts
    books.statement.execute(payout.id, payout.amount, books.now)  # sent; never recorded

    difference = only(await books.reconcile())

    assert (difference.kind, difference.recorded_status) == (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        PayoutStatus.PENDING.value,
    )


# ---------------------------------------------------------------------- the job itself
async def test_running_again_queues_nothing_twice_and_resolved_differences_leave_the_queue(
    books: Books,
) -> None:
    await books.deposit(await books.world.open(), booked=False)
    first = await books.reconcile()
    again = await books.handler.execute(ReconcileRail(since=first.since, until=first.until))

    assert (first.queued, again.queued) == (1, 0)
    assert again.differences == first.differences
    [queued] = await books.queue.list_open()
    resolved = await books.queue.resolve(queued.key, books.now)
    assert resolved.resolved_at == books.now
    assert await books.queue.list_open() == []
    assert (await books.queue.resolve(queued.key, books.now + DAY)).resolved_at == books.now


async def test_reconciling_changes_nothing_in_the_books(books: Books) -> None:
    await books.deposit(await books.world.open(), booked=False)
    await books.released()
    before = books.world.snapshot()
    await books.reconcile()
    assert not books.world.changed_since(before)


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        (timedelta(0), timedelta(0), "until"),
        (DAY, timedelta(0), "until"),
        (timedelta(0), 10 * DAY, "until"),  # not over yet
    ],
)
async def test_a_period_must_be_a_past_interval(
    books: Books, since: timedelta, until: timedelta, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        await books.handler.execute(
            ReconcileRail(since=books.start + since, until=books.start + until)
        )
    assert raised.value.field == field


async def test_a_naive_period_is_refused(books: Books) -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError):
        await books.handler.execute(ReconcileRail(since=naive, until=books.start))
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    assert (await books.handler.execute(ReconcileRail(since=aware, until=books.start))).queued == 0


def test_a_difference_is_keyed_by_kind_and_subject() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    difference = ReconciliationDifference(
        kind=DifferenceKind.MISSING_DEPOSIT,
        subject="TRK1",
        escrow_id=None,
        rail_amount=Money(1, MXN),
        recorded_amount=None,
        rail_status=None,
        recorded_status=None,
        detail="",
        period_start=at,
        period_end=at + DAY,
        found_at=at + DAY,
    )
    assert difference.key == "missing_deposit:TRK1"
