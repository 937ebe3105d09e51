"""A small world of registered users on the in-memory Kustodia, and the steps tests share.

Everything goes through the use cases; the helpers only read stored state back (escrows,
disputes, the ledger, the outbox, the event log) so that tests assert on what was committed.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

import attrs

from kustodia_adapters.in_memory.store import StoreState
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutLeg
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.fraud.screening import FiredRule, Outcome, RiskDecision, RiskEvent
from kustodia_domain.identity.model import Role, User
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import held
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.reconciliation import UnmatchedDeposit
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.persistence import PAYOUT_TOPIC
from kustodia_domain.services.record_deposit import DepositOutcome, RecordDeposit
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.money import MXN, Money
from kustodia_entrypoints.bootstrap.in_memory import InMemoryKustodia, build_in_memory

E = TypeVar("E", bound=DomainEvent)

SOURCE_A = Clabe.build("012", "180", "5001")
"""The bank account the payer's deposits come from."""
SOURCE_B = Clabe.build("014", "180", "5002")
"""A second bank account of the payer."""
PAYER_PAYOUT = Clabe.build("002", "180", "7001")
PAYEE_PAYOUT = Clabe.build("002", "180", "7002")
BROKER_PAYOUT = Clabe.build("002", "180", "7003")
TREASURY = PlatformPolicy().treasury_clabe

AMOUNT = 5_000_000
"""50,000.00 MXN: the default escrow amount, in centavos."""
CUSTODY_DAYS = 10


def mxn(minor: int) -> Money:
    return Money(minor, MXN)


class ScriptedRiskScreen(RiskScreen):
    """A risk screen answering each event kind with the outcome a test chose (allow otherwise).

    With ``pause`` it yields to the event loop before answering, as a screen that does I/O
    would, so concurrent use cases really interleave between their read and their commit.
    """

    def __init__(self, *, pause: bool = False) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.screened: list[RiskEvent] = []
        self.pause = pause

    async def screen(self, event: RiskEvent) -> RiskDecision:
        self.screened.append(event)
        if self.pause:
            await asyncio.sleep(0)
        outcome = self.outcomes.get(event.kind, Outcome.ALLOW)
        fired: tuple[FiredRule, ...] = ()
        if outcome is not Outcome.ALLOW:
            fired = (
                FiredRule(
                    rule_id=f"scripted_{outcome.label}",
                    outcome=outcome,
                    score=25 * int(outcome),
                    explanation=f"the test scripted {outcome.label} for {event.kind}",
                ),
            )
        return RiskDecision(
            event_id=event.event_id,
            outcome=outcome,
            score=25 * int(outcome),
            fired=fired,
            ruleset="scripted-ruleset",
        )

    def kinds(self) -> list[str]:
        """The kinds of every event screened so far, in order."""
        return [event.kind for event in self.screened]


@attrs.define
class World:
    """The in-memory product with a payer, a payee, a broker, an outsider and two admins."""

    app: InMemoryKustodia
    risk: ScriptedRiskScreen
    payer: User
    payee: User
    broker: User
    outsider: User
    admin: User
    second_admin: User
    deposits_made: int = 0

    @property
    def uc(self) -> UseCases:
        return self.app.use_cases

    # ------------------------------------------------------------------ commands
    async def open(
        self,
        *,
        kind: EscrowKind = EscrowKind.STANDARD,
        by: CreatorRole = CreatorRole.PAYER,
        amount: int = AMOUNT,
        custody_percent: int = 100,
        custody_days: int = CUSTODY_DAYS,
        commissions: tuple[tuple[str, int], ...] = (),
        milestones: tuple[tuple[str, int], ...] = (),
    ) -> Escrow:
        creator, other = (
            (self.payer, self.payee)
            if by is CreatorRole.PAYER
            else (
                self.payee,
                self.payer,
            )
        )
        return await self.uc.open_escrow.execute(
            OpenEscrow(
                creator_id=creator.id,
                kind=kind,
                creator_role=by,
                counterparty_email=other.email,
                amount_minor=amount,
                currency="MXN",
                custody_percent=custody_percent,
                custody_days=custody_days,
                description="a used car",
                commissions=commissions,
                milestones=milestones,
            )
        )

    def deposit_command(
        self,
        escrow: Escrow,
        amount: int,
        *,
        source: Clabe = SOURCE_A,
        key: str | None = None,
        clabe: str | None = None,
        reference: str | None = None,
    ) -> RecordDeposit:
        if key is None:
            self.deposits_made += 1
            key = f"trk{self.deposits_made:04d}"
        return RecordDeposit(
            tracking_key=key,
            clabe=escrow.deposit_clabe.value if clabe is None else clabe,
            reference=escrow.reference if reference is None else reference,
            amount_minor=amount,
            currency="MXN",
            source_clabe=source.value,
            sender_name="Ana Compradora",
            received_at=self.app.clock.now(),
        )

    async def deposit(
        self, escrow: Escrow, amount: int | None = None, *, source: Clabe = SOURCE_A
    ) -> DepositOutcome:
        """Deposit ``amount`` (by default whatever is still due) from ``source``."""
        if amount is None:
            stored = await self.escrow(escrow.id)
            amount = (stored.amount_due - stored.funded_amount).amount_minor
        return await self.uc.record_deposit.execute(
            self.deposit_command(escrow, amount, source=source)
        )

    async def funded(
        self,
        *,
        kind: EscrowKind = EscrowKind.STANDARD,
        amount: int = AMOUNT,
        custody_percent: int = 100,
        custody_days: int = CUSTODY_DAYS,
        commissions: tuple[tuple[str, int], ...] = (),
    ) -> Escrow:
        """A payment opened by the payer and funded with one exact deposit from SOURCE_A."""
        escrow = await self.open(
            kind=kind,
            amount=amount,
            custody_percent=custody_percent,
            custody_days=custody_days,
            commissions=commissions,
        )
        assert await self.deposit(escrow) is DepositOutcome.APPLIED
        return await self.escrow(escrow.id)

    async def dispatch_and_confirm(self, escrow_id: str) -> None:
        """Send every pending payout and have the rail confirm those of ``escrow_id``."""
        await self.uc.dispatch_payouts.execute()
        for payout in (await self.escrow(escrow_id)).live_payouts:
            await self.uc.confirm_payout.execute(PayoutNotice(payout_id=payout.id))

    # ------------------------------------------------------------------ reads
    async def escrow(self, escrow_id: str) -> Escrow:
        async with self.app.uow() as uow:
            return await uow.escrows.get(escrow_id)

    async def dispute(self, dispute_id: str) -> Dispute:
        async with self.app.uow() as uow:
            return await uow.disputes.get(dispute_id)

    async def user(self, user_id: str) -> User:
        async with self.app.uow() as uow:
            return await uow.users.get(user_id)

    async def timeline(self, aggregate_id: str) -> list[DomainEvent]:
        async with self.app.uow() as uow:
            return list(await uow.events.for_aggregate(aggregate_id))

    async def events(self, aggregate_id: str, event_type: type[E]) -> list[E]:
        return [e for e in await self.timeline(aggregate_id) if isinstance(e, event_type)]

    async def held(self, account: Account) -> int:
        async with self.app.uow() as uow:
            return await uow.ledger.balance(account)

    async def ledger(self, escrow_id: str) -> Sequence[LedgerTransaction]:
        async with self.app.uow() as uow:
            return await uow.ledger.transactions_for_escrow(escrow_id)

    async def pending(self, topic: str = PAYOUT_TOPIC) -> list[OutboxMessage]:
        async with self.app.uow() as uow:
            return [m for m in await uow.outbox.pending(1_000) if m.topic == topic]

    async def unmatched(self) -> Sequence[UnmatchedDeposit]:
        async with self.app.uow() as uow:
            return await uow.unmatched_deposits.list_open()

    async def payouts(self, escrow_id: str, leg: PayoutLeg | None = None) -> list[Payout]:
        escrow = await self.escrow(escrow_id)
        return [p for p in escrow.payouts if leg is None or p.leg is leg]

    def sent_keys(self) -> list[str]:
        return [order.idempotency_key for order in self.app.rail.sent]

    def snapshot(self) -> StoreState:
        """A deep copy of everything committed, to prove later that nothing changed."""
        return copy.deepcopy(self.app.store.state)

    def changed_since(self, before: StoreState) -> bool:
        return self.app.store.state != before

    async def assert_books_balance(self) -> None:
        """The ledger sums to zero, nothing is overdrawn, and custody agrees with every escrow."""
        async with self.app.uow() as uow:
            totals = await uow.ledger.signed_totals()
            escrows = [await uow.escrows.get(i) for i in self.app.store.state.escrows]
        assert sum(totals.values()) == 0
        assert all(held(account, signed) >= 0 for account, signed in totals.items())
        for escrow in escrows:
            custody = Account.custody(escrow.id, MXN)
            assert escrow.custody_balance.amount_minor == held(custody, totals.get(custody, 0))

    def later(self, delta: timedelta) -> None:
        self.app.clock.advance(delta)


async def register(app: InMemoryKustodia, name: str, role: Role = Role.USER) -> User:
    return await app.use_cases.register_user.execute(
        RegisterUser(email=f"{name}@example.mx", full_name=name.title(), role=role)
    )


async def build_world(
    *,
    policy: PlatformPolicy | None = None,
    risk: ScriptedRiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
) -> World:
    """Register everyone; the payee and the broker set payout accounts, the others do not."""
    screen = risk or ScriptedRiskScreen()
    app = build_in_memory(policy=policy, risk=screen, assessor=assessor)
    users = {name: await register(app, name) for name in ("payer", "payee", "broker", "outsider")}
    for name, clabe in (("payee", PAYEE_PAYOUT), ("broker", BROKER_PAYOUT)):
        users[name] = await app.use_cases.set_payout_account.execute(
            SetPayoutAccount(user_id=users[name].id, clabe=clabe.value, holder_name=name.title())
        )
    return World(
        app=app,
        risk=screen,
        payer=users["payer"],
        payee=users["payee"],
        broker=users["broker"],
        outsider=users["outsider"],
        admin=await register(app, "admin", Role.ADMIN),
        second_admin=await register(app, "auditor", Role.ADMIN),
    )
