"""Reconciling the books with what the SPEI rail reports for a period.

The rail's statement (deposits received in the period, payouts created or changed in it) is read
first, over the network, before any unit of work opens. The books are then read in one unit of
work that writes nothing: every escrow created before the period's end (its deposits and
payouts, through the back office's committed reads), the open unmatched deposits, and the ledger
transaction that booked each deposit. Payouts the books hold as unsettled that the statement
does not list are then asked of the rail one by one, again outside the unit of work. Every
difference goes to the reconciliation queue, once per kind and subject.

Deposits are compared by tracking key, and a deposit's amount is what the ledger booked to rail
cash under ``deposit:<tracking key>`` (the unmatched-deposit record for suspense). Payouts are
compared by payout id, which the rail keeps as the payout's reference:

========================  ==================================  =============================
books                     rail                                difference
========================  ==================================  =============================
no record                 executed it                         ``unrecorded_payout``
pending                   executed it                         ``payout_status_mismatch``
sent or confirmed         no record                           ``unconfirmed_payout``
sent                      accepted, past the grace            ``unconfirmed_payout``
sent                      confirmed                           ``payout_status_mismatch``
confirmed                 accepted                            ``unconfirmed_payout``
sent or confirmed         returned                            ``returned_payout``
returned                  accepted or confirmed               ``payout_status_mismatch``
any                       another amount                      ``payout_amount_mismatch``
========================  ==================================  =============================

A payout the books hold as ``sent`` is checked on every run until it settles, so one the rail
never confirms is reported even after its own period was reconciled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutStatus
from kustodia_domain.escrow.postings import deposit_key
from kustodia_domain.ledger.accounts import AccountKind
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.payment_rail import RailPayoutStatus
from kustodia_domain.ports.rail_statement import RailDeposit, RailPayout, RailStatementReader
from kustodia_domain.ports.reconciliation_queue import (
    DifferenceKind,
    ReconciliationDifference,
    ReconciliationQueue,
)
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import Money
from kustodia_domain.shared.time import ensure_utc

DEFAULT_SETTLEMENT_GRACE = timedelta(hours=1)
"""How long a sent payout may stay unconfirmed at the rail before it is a difference."""


@attrs.frozen(kw_only=True)
class ReconcileRail:
    """Reconcile the period ``[since, until)``; it must be over."""

    since: datetime
    until: datetime


@attrs.frozen(kw_only=True)
class ReconciliationReport:
    """What one reconciliation found."""

    since: datetime
    until: datetime
    rail_deposits: int
    rail_payouts: int
    differences: tuple[ReconciliationDifference, ...]
    queued: int
    """How many of ``differences`` were new to the queue (the rest were queued before)."""


@attrs.frozen(kw_only=True)
class _BookedDeposit:
    tracking_key: str
    amount: Money
    received_at: datetime
    escrow_id: str | None


@attrs.frozen(kw_only=True)
class _BookedPayout:
    escrow_id: str
    payout: Payout


@attrs.define
class _Books:
    deposits: dict[str, _BookedDeposit] = attrs.field(factory=dict)
    payouts: dict[str, _BookedPayout] = attrs.field(factory=dict)


@attrs.define
class _Findings:
    """Collects differences for one period, found at one instant."""

    since: datetime
    until: datetime
    now: datetime
    items: list[ReconciliationDifference] = attrs.field(factory=list)

    def add(
        self,
        kind: DifferenceKind,
        subject: str,
        detail: str,
        *,
        escrow_id: str | None = None,
        rail_amount: Money | None = None,
        recorded_amount: Money | None = None,
        rail_status: str | None = None,
        recorded_status: str | None = None,
    ) -> None:
        self.items.append(
            ReconciliationDifference(
                kind=kind,
                subject=subject,
                escrow_id=escrow_id,
                rail_amount=rail_amount,
                recorded_amount=recorded_amount,
                rail_status=rail_status,
                recorded_status=recorded_status,
                detail=detail,
                period_start=self.since,
                period_end=self.until,
                found_at=self.now,
            )
        )


@attrs.frozen
class ReconcileRailHandler:
    """Compares the rail's statement for a period with the books; queues every difference.

    Reads only: the books are never changed, a difference is for an admin to resolve. Running
    it again for the same (or an overlapping) period queues nothing twice.

    Raises:
        ValidationError: a naive timestamp, an empty period, or one that is not over yet.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    back_office: BackOfficeReads
    statement: RailStatementReader
    queue: ReconciliationQueue
    settlement_grace: timedelta = DEFAULT_SETTLEMENT_GRACE
    page_size: int = 200

    async def execute(self, cmd: ReconcileRail) -> ReconciliationReport:
        now = self.clock.now()
        since, until = _period(cmd, now)
        rail_deposits = await self.statement.deposits(since, until)
        rail_payouts = await self.statement.payouts(since, until)
        found = _Findings(since, until, now)
        books = await self._books(until)
        async with self.uow() as uow:
            await self._deposits(uow, rail_deposits, books, found)
            pairs = await self._payouts_in_statement(uow, rail_payouts, books, found)
        listed = {r.payout_id for r in rail_payouts}
        for booked in books.payouts.values():
            if booked.payout.id not in listed and _unsettled_in(booked.payout, since, until):
                pairs.append((booked, await self.statement.payout(booked.payout.id)))
        for booked, rail in pairs:
            self._compare_payout(booked, rail, found)
        queued = 0
        for difference in found.items:
            queued += await self.queue.add(difference)
        return ReconciliationReport(
            since=since,
            until=until,
            rail_deposits=len(rail_deposits),
            rail_payouts=len(rail_payouts),
            differences=tuple(found.items),
            queued=queued,
        )

    # ------------------------------------------------------------------ the books
    async def _books(self, until: datetime) -> _Books:
        books = _Books()
        async for escrow in self._escrows(until):
            for deposit in escrow.deposits:
                books.deposits[deposit.tracking_key] = _BookedDeposit(
                    tracking_key=deposit.tracking_key,
                    amount=deposit.amount,
                    received_at=deposit.received_at,
                    escrow_id=escrow.id,
                )
            for payout in escrow.payouts:
                books.payouts[payout.id] = _BookedPayout(escrow_id=escrow.id, payout=payout)
        async with self.uow() as uow:
            for unmatched in await uow.unmatched_deposits.list_open():
                books.deposits.setdefault(
                    unmatched.tracking_key,
                    _BookedDeposit(
                        tracking_key=unmatched.tracking_key,
                        amount=unmatched.amount,
                        received_at=unmatched.received_at,
                        escrow_id=None,
                    ),
                )
        return books

    async def _escrows(self, until: datetime) -> AsyncIterator[Escrow]:
        # Newest first and created before the period's end: escrows opened while the pages are
        # read sort after ``until`` and cannot shift the offsets.
        offset = 0
        while True:
            page = await self.back_office.search_escrows(
                EscrowFilter(created_to=until, limit=self.page_size, offset=offset)
            )
            for escrow in page:
                yield escrow
            if len(page) < self.page_size:
                return
            offset += len(page)

    # ------------------------------------------------------------------ deposits
    async def _deposits(
        self,
        uow: UnitOfWork,
        rail_deposits: Sequence[RailDeposit],
        books: _Books,
        found: _Findings,
    ) -> None:
        ledger = _LedgerDeposits(uow)
        on_rail: set[str] = set()
        for rail in rail_deposits:
            on_rail.add(rail.tracking_key)
            booked = books.deposits.get(rail.tracking_key) or await _find_deposit(uow, rail)
            if booked is None:
                found.add(
                    DifferenceKind.MISSING_DEPOSIT,
                    rail.tracking_key,
                    f"the rail received {rail.amount} for CLABE {rail.clabe} reference "
                    f"{rail.reference!r}; the books have no such deposit",
                    rail_amount=rail.amount,
                )
                continue
            amount = await ledger.booked(booked)
            if amount != rail.amount:
                found.add(
                    DifferenceKind.DEPOSIT_AMOUNT_MISMATCH,
                    rail.tracking_key,
                    f"the rail received {rail.amount}; the ledger booked {amount}",
                    escrow_id=booked.escrow_id,
                    rail_amount=rail.amount,
                    recorded_amount=amount,
                )
        for booked in books.deposits.values():
            in_period = found.since <= booked.received_at < found.until
            if in_period and booked.tracking_key not in on_rail:
                where = f"escrow {booked.escrow_id}" if booked.escrow_id else "suspense"
                found.add(
                    DifferenceKind.UNKNOWN_DEPOSIT,
                    booked.tracking_key,
                    f"the books recorded {booked.amount} on {where}; "
                    "the rail reports no such deposit",
                    escrow_id=booked.escrow_id,
                    recorded_amount=booked.amount,
                )

    # ------------------------------------------------------------------ payouts
    @staticmethod
    async def _payouts_in_statement(
        uow: UnitOfWork,
        rail_payouts: Sequence[RailPayout],
        books: _Books,
        found: _Findings,
    ) -> list[tuple[_BookedPayout, RailPayout | None]]:
        pairs: list[tuple[_BookedPayout, RailPayout | None]] = []
        for rail in rail_payouts:
            booked = books.payouts.get(rail.payout_id)
            if booked is None:
                escrow = await uow.escrows.find_by_payout(rail.payout_id)
                if escrow is not None:
                    booked = _BookedPayout(
                        escrow_id=escrow.id, payout=escrow.payout(rail.payout_id)
                    )
            if booked is None:
                found.add(
                    DifferenceKind.UNRECORDED_PAYOUT,
                    rail.payout_id,
                    f"the rail executed payout {rail.rail_reference} of {rail.amount} "
                    f"(reference {rail.payout_id!r}); the books have no such payout",
                    rail_amount=rail.amount,
                    rail_status=rail.status.value,
                )
                continue
            pairs.append((booked, rail))
        return pairs

    def _compare_payout(
        self, booked: _BookedPayout, rail: RailPayout | None, found: _Findings
    ) -> None:
        payout = booked.payout

        def add(kind: DifferenceKind, detail: str) -> None:
            found.add(
                kind,
                payout.id,
                detail,
                escrow_id=booked.escrow_id,
                rail_amount=None if rail is None else rail.amount,
                recorded_amount=payout.amount,
                rail_status=None if rail is None else rail.status.value,
                recorded_status=payout.status.value,
            )

        if rail is None or rail.status is RailPayoutStatus.UNKNOWN:
            add(
                DifferenceKind.UNCONFIRMED_PAYOUT,
                f"the books hold the payout as {payout.status.value}; the rail has no record of it",
            )
            return
        if rail.amount != payout.amount:
            add(
                DifferenceKind.PAYOUT_AMOUNT_MISMATCH,
                f"the rail paid {rail.amount}; the books hold {payout.amount}",
            )
        verdict = _payout_verdict(payout, rail.status, found.now - self.settlement_grace)
        if verdict is not None:
            add(*verdict)


class _LedgerDeposits:
    """What the ledger booked to rail cash for each deposit, read once per escrow."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._by_escrow: dict[str, dict[str, Money]] = {}

    async def booked(self, deposit: _BookedDeposit) -> Money:
        if deposit.escrow_id is None:
            # Suspense is booked with no escrow tag; its record is the amount it booked.
            return deposit.amount
        booked = self._by_escrow.get(deposit.escrow_id)
        if booked is None:
            booked = {}
            for transaction in await self._uow.ledger.transactions_for_escrow(deposit.escrow_id):
                cash = [
                    p.amount
                    for p in transaction.postings
                    if p.account.kind is AccountKind.RAIL_CASH and p.amount.is_positive
                ]
                if cash:
                    booked[transaction.key] = sum(cash[1:], cash[0])
            self._by_escrow[deposit.escrow_id] = booked
        return booked.get(deposit_key(deposit.tracking_key), Money.zero(deposit.amount.currency))


async def _find_deposit(uow: UnitOfWork, rail: RailDeposit) -> _BookedDeposit | None:
    """The books' record of a rail deposit the period's escrows did not list, if any."""
    escrow = await uow.escrows.find_by_reference(rail.reference)
    if escrow is None:
        return None
    for deposit in escrow.deposits:
        if deposit.tracking_key == rail.tracking_key:
            return _BookedDeposit(
                tracking_key=deposit.tracking_key,
                amount=deposit.amount,
                received_at=deposit.received_at,
                escrow_id=escrow.id,
            )
    return None


_NEVER_SENT = "the rail executed the payout ({rail}); the books never recorded it as sent"
_RETURNED = "the rail returned the payout; the books still hold it as {held}"
_NOT_RETURNED = "the books hold the payout as returned; the rail reports it {rail}"
_VERDICTS: dict[tuple[PayoutStatus, RailPayoutStatus], tuple[DifferenceKind, str]] = {
    (PayoutStatus.PENDING, RailPayoutStatus.ACCEPTED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        _NEVER_SENT,
    ),
    (PayoutStatus.PENDING, RailPayoutStatus.CONFIRMED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        _NEVER_SENT,
    ),
    (PayoutStatus.PENDING, RailPayoutStatus.RETURNED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        _NEVER_SENT,
    ),
    (PayoutStatus.SENT, RailPayoutStatus.CONFIRMED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        "the rail confirmed the payout; the books never recorded the confirmation",
    ),
    (PayoutStatus.SENT, RailPayoutStatus.RETURNED): (DifferenceKind.RETURNED_PAYOUT, _RETURNED),
    (PayoutStatus.CONFIRMED, RailPayoutStatus.ACCEPTED): (
        DifferenceKind.UNCONFIRMED_PAYOUT,
        "the books hold the payout as confirmed; the rail has not confirmed it",
    ),
    (PayoutStatus.CONFIRMED, RailPayoutStatus.RETURNED): (
        DifferenceKind.RETURNED_PAYOUT,
        _RETURNED,
    ),
    (PayoutStatus.RETURNED, RailPayoutStatus.ACCEPTED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        _NOT_RETURNED,
    ),
    (PayoutStatus.RETURNED, RailPayoutStatus.CONFIRMED): (
        DifferenceKind.PAYOUT_STATUS_MISMATCH,
        _NOT_RETURNED,
    ),
}
"""Status pairs (books, rail) that are a difference whenever they are seen."""


def _payout_verdict(
    payout: Payout, rail: RailPayoutStatus, sent_before: datetime
) -> tuple[DifferenceKind, str] | None:
    """The difference a payout's status makes against the rail's, if any.

    A sent payout the rail has accepted but not confirmed is in flight until it was sent before
    ``sent_before``.
    """
    held = payout.status
    if held is PayoutStatus.SENT and rail is RailPayoutStatus.ACCEPTED:
        if payout.updated_at > sent_before:
            return None
        return (
            DifferenceKind.UNCONFIRMED_PAYOUT,
            f"sent at {payout.updated_at.isoformat()}; the rail has not confirmed it",
        )
    verdict = _VERDICTS.get((held, rail))
    if verdict is None:
        return None
    kind, template = verdict
    return kind, template.format(held=held.value, rail=rail.value)


def _unsettled_in(payout: Payout, since: datetime, until: datetime) -> bool:
    """Whether the books' side of ``payout`` needs the rail's word for this period.

    Sent payouts are checked on every run until they settle; confirmed and returned ones in
    the period their status changed.
    """
    if payout.status is PayoutStatus.SENT:
        return payout.updated_at < until
    if payout.status in (PayoutStatus.CONFIRMED, PayoutStatus.RETURNED):
        return since <= payout.updated_at < until
    return False


def _period(cmd: ReconcileRail, now: datetime) -> tuple[datetime, datetime]:
    since = ensure_utc(cmd.since, field="since")
    until = ensure_utc(cmd.until, field="until")
    if since >= until:
        raise ValidationError("a reconciliation period must end after it starts", field="until")
    if until > now:
        raise ValidationError("a reconciliation period must be over", field="until")
    return since, until
