"""Valid domain objects for the contract suites, built only through the domain's constructors."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from kustodia_domain.disputes.model import Dispute, ResolutionDecision
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.postings import ledger_transaction_for
from kustodia_domain.escrow.terms import (
    Commission,
    CreatorRole,
    EscrowKind,
    EscrowTerms,
)
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import LedgerTransaction, TransactionBuilder
from kustodia_domain.ports.tickets import TicketRepository
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import DisputeId, EscrowId, UserId
from kustodia_domain.shared.money import MXN, Money
from kustodia_domain.support.model import Ticket, TicketStatus

UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Opens a new unit of work over the store of the adapter under test."""

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
PAYOUT_CLABE = Clabe.build("002", "180", "1")
SOURCE_CLABE = Clabe.build("002", "180", "2")
TREASURY_CLABE = Clabe.build("002", "180", "3")
FUNDING_WINDOW = timedelta(days=7)

PAYER = UserId("usr_payer")
PAYEE = UserId("usr_payee")
BROKER = UserId("usr_broker")


def deposit_clabe_for(user_id: str) -> Clabe:
    """A valid deposit CLABE derived from the user id, so every test user has its own."""
    number = int(hashlib.sha256(user_id.encode()).hexdigest(), 16) % 10**11
    return Clabe.build("646", "180", str(number))


def user(user_id: str = PAYER, *, email: str | None = None, created_at: datetime = T0) -> User:
    return User(
        id=UserId(user_id),
        email=email or f"{user_id}@example.mx",
        full_name=f"User {user_id}",
        deposit_clabe=deposit_clabe_for(user_id),
        created_at=created_at,
    )


def escrow(
    escrow_id: str = "esc_1",
    *,
    reference: str = "1000001",
    payer: str = PAYER,
    payee: str = PAYEE,
    brokers: Sequence[str] = (),
    at: datetime = T0,
    created_by: CreatorRole = CreatorRole.PAYER,
    custody_percent: int = 50,
    fee_minor: int = 1_000,
    kind: EscrowKind = EscrowKind.STANDARD,
) -> Escrow:
    """An escrow of 1,000.00 MXN awaiting funds (or awaiting acceptance if the payee asked)."""
    terms = EscrowTerms(
        amount=Money.mxn(100_000),
        custody_percent=custody_percent,
        custody_days=10,
        description="Laptop, used",
        commissions=tuple(Commission(UserId(b), 500) for b in brokers),
    )
    return Escrow.open(
        escrow_id=EscrowId(escrow_id),
        kind=kind,
        created_by=created_by,
        payer_id=UserId(payer),
        payee_id=UserId(payee),
        terms=terms,
        fee=Money.mxn(fee_minor),
        reference=reference,
        deposit_clabe=deposit_clabe_for(payer),
        funding_window=FUNDING_WINDOW,
        at=at,
    )


def directory(of: Escrow) -> PayoutDirectory:
    payee_side = [of.payee_id, *(c.broker_id for c in of.terms.commissions)]
    return PayoutDirectory(
        accounts=dict.fromkeys(payee_side, PAYOUT_CLABE), treasury=TREASURY_CLABE
    )


def fund(of: Escrow, at: datetime = T0) -> Escrow:
    """Deposit exactly the amount due: the escrow is funded and has scheduled payouts."""
    deposit = IncomingDeposit(
        tracking_key=f"trk-{of.id}",
        amount=of.amount_due,
        source_clabe=SOURCE_CLABE,
        sender_name="Payer SA de CV",
        received_at=at,
    )
    of.receive_deposit(deposit, at, directory(of))
    return of


def complete(of: Escrow, at: datetime) -> Escrow:
    """Release a funded escrow on the payer's approval and confirm every payout."""
    of.approve_release(of.payer_id, at, directory(of))
    for payout in of.live_payouts:
        of.confirm_payout(payout.id, at)
    return of


def postings_of(of: Escrow) -> list[LedgerTransaction]:
    """The ledger transactions for the escrow's pending events (leaves the events in place)."""
    built = (ledger_transaction_for(event) for event in of.pending_events)
    return [t for t in built if t is not None]


def dispute(
    dispute_id: str = "dsp_1",
    *,
    escrow_id: str = "esc_1",
    payer: str = PAYER,
    payee: str = PAYEE,
    opened_by: str = PAYER,
    at: datetime = T0,
) -> Dispute:
    return Dispute.open(
        dispute_id=DisputeId(dispute_id),
        escrow_id=EscrowId(escrow_id),
        payer_id=UserId(payer),
        payee_id=UserId(payee),
        opened_by=UserId(opened_by),
        reason="Item not as described",
        details="The screen is cracked.",
        at=at,
        response_window=timedelta(days=3),
    )


def resolve(of: Dispute, resolution: Resolution, at: datetime) -> Dispute:
    payee_amount = Money.mxn(25_000) if resolution is Resolution.SPLIT else None
    decision = ResolutionDecision(
        resolution=resolution,
        payee_amount=payee_amount,
        reason="Evidence reviewed",
        proposed_by=UserId("usr_admin"),
        proposed_at=at,
    )
    of.propose_resolution(decision, needs_second_admin=False)
    return of


def deposit_into(
    escrow_id: str, amount_minor: int, *, key: str, at: datetime = T0
) -> LedgerTransaction:
    """Cash arrives at the rail and is held in the escrow's custody."""
    return transfer(
        Account.rail_cash(MXN),
        Account.custody(escrow_id, MXN),
        amount_minor,
        key=key,
        at=at,
        escrow_id=escrow_id,
    )


def transfer(
    debit: Account,
    credit: Account,
    amount_minor: int,
    *,
    key: str,
    at: datetime = T0,
    escrow_id: str | None = None,
) -> LedgerTransaction:
    amount = Money(amount_minor, debit.currency)
    built = (
        TransactionBuilder(key=key, occurred_at=at, description="test", escrow_id=escrow_id)
        .debit(debit, amount)
        .credit(credit, amount)
        .build()
    )
    assert built is not None
    return built


async def commit_in_new_unit(
    new_uow: UnitOfWorkFactory, write: Callable[[UnitOfWork], Awaitable[object]]
) -> None:
    """Run ``write`` in a new unit of work and commit it.

    Adapters may refuse a write when it is made or only at commit (the in-memory one checks
    versions again at commit, a database at the UPDATE); tests expecting a refusal wrap this.
    """
    async with new_uow() as uow:
        await write(uow)
        await uow.commit()


class CommittingTickets(TicketRepository):
    """The ticket port driven as the use cases drive it: each call in a unit of its own.

    Writes commit their unit; a refusal, at the call or at the commit, leaves the store as it
    was (the unit is left without committing).
    """

    def __init__(self, new_uow: UnitOfWorkFactory) -> None:
        self._new_uow = new_uow

    async def add(self, ticket: Ticket) -> None:
        await commit_in_new_unit(self._new_uow, lambda uow: uow.tickets.add(ticket))

    async def save(self, ticket: Ticket) -> None:
        await commit_in_new_unit(self._new_uow, lambda uow: uow.tickets.save(ticket))

    async def get(self, ticket_id: str) -> Ticket:
        async with self._new_uow() as uow:
            return await uow.tickets.get(ticket_id)

    async def list_for_owner(self, owner_id: str, *, limit: int, offset: int) -> Sequence[Ticket]:
        async with self._new_uow() as uow:
            return await uow.tickets.list_for_owner(owner_id, limit=limit, offset=offset)

    async def list_all(
        self, *, status: TicketStatus | None, limit: int, offset: int
    ) -> Sequence[Ticket]:
        async with self._new_uow() as uow:
            return await uow.tickets.list_all(status=status, limit=limit, offset=offset)
