"""Builders for escrow aggregates in a known state, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.postings import ledger_transaction_for
from kustodia_domain.escrow.terms import (
    Commission,
    CreatorRole,
    EscrowKind,
    EscrowTerms,
    MilestoneSpec,
)
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import held, signed_totals
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.ids import EscrowId, UserId
from kustodia_domain.shared.money import MXN, Money

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
PAYER, PAYEE, BROKER = UserId("usr_payer"), UserId("usr_payee"), UserId("usr_broker")


def clabe(n: int, bank: str = "012") -> Clabe:
    return Clabe.build(bank, "180", str(n))


PAYER_DEPOSIT_CLABE = clabe(1, "646")
SOURCE_A, SOURCE_B = clabe(11), clabe(12)
PAYEE_PAYOUT, BROKER_PAYOUT, TREASURY = clabe(21), clabe(22), clabe(99, "646")
DIRECTORY = PayoutDirectory({PAYEE: PAYEE_PAYOUT, BROKER: BROKER_PAYOUT}, TREASURY)


def mxn(minor: int) -> Money:
    return Money(minor, MXN)


def terms(
    amount: int = 100_000,
    *,
    custody_percent: int = 100,
    custody_days: int = 5,
    commissions: tuple[Commission, ...] = (),
    milestones: tuple[MilestoneSpec, ...] = (),
) -> EscrowTerms:
    return EscrowTerms(
        amount=mxn(amount),
        custody_percent=custody_percent,
        custody_days=custody_days,
        description="a used car",
        commissions=commissions,
        milestones=milestones,
    )


def open_escrow(
    escrow_terms: EscrowTerms | None = None,
    *,
    kind: EscrowKind = EscrowKind.STANDARD,
    fee: int = 0,
    created_by: CreatorRole = CreatorRole.PAYER,
    escrow_id: str = "esc_1",
) -> Escrow:
    return Escrow.open(
        escrow_id=EscrowId(escrow_id),
        kind=kind,
        created_by=created_by,
        payer_id=PAYER,
        payee_id=PAYEE,
        terms=escrow_terms or terms(),
        fee=mxn(fee),
        reference="1000001",
        deposit_clabe=PAYER_DEPOSIT_CLABE,
        funding_window=timedelta(days=7),
        at=T0,
    )


def deposit(
    amount: int, key: str = "trk1", source: Clabe = SOURCE_A, at: datetime = T0
) -> IncomingDeposit:
    return IncomingDeposit(
        tracking_key=key, amount=mxn(amount), source_clabe=source, sender_name="Ana", received_at=at
    )


def funded_escrow(escrow_terms: EscrowTerms | None = None, **kwargs: object) -> Escrow:
    escrow = open_escrow(escrow_terms, **kwargs)  # type: ignore[arg-type]
    escrow.receive_deposit(deposit(escrow.amount_due.amount_minor), T0, DIRECTORY)
    return escrow


class LedgerMirror:
    """Posts an aggregate's events to a list, as a ledger adapter would, for assertions."""

    def __init__(self) -> None:
        self.transactions: list[LedgerTransaction] = []
        self.events: list[DomainEvent] = []

    def absorb(self, escrow: Escrow) -> None:
        for event in escrow.pull_events():
            self.events.append(event)
            transaction = ledger_transaction_for(event)
            if transaction is not None:
                self.transactions.append(transaction)

    def held(self, account: Account) -> int:
        totals = signed_totals(self.transactions)
        return held(account, totals.get(account, 0))

    def total(self) -> int:
        return sum(signed_totals(self.transactions).values())
