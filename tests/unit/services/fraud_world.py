"""The in-memory Kustodia with the real fraud rule engine, and people who pass it by default.

The payer and the payee set their payout accounts up days before anything happens (a CLABE
changed in the last 72 hours holds releases and payouts), the payer funds from its own registered
account, and amounts stay under the N1 monthly cap; each test then breaks exactly the rule it is
about. Every step happens a minute after the previous one: the engine reads the history strictly
before each event, as it would in production, where no two steps share a microsecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs

from kustodia_domain.escrow.events import RiskScreened
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.fraud.lists import ListEntry, ListName
from kustodia_domain.identity.model import Role, User
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.record_deposit import DepositOutcome, RecordDeposit
from kustodia_domain.services.risk_overrides import DecideOverride, RequestOverride
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.events import DomainEvent
from kustodia_entrypoints.bootstrap.in_memory import InMemoryKustodia, build_in_memory

PAYER_BANK = Clabe.build("012", "180", "5001")
"""The payer's own account: its payout account, and where its deposits come from."""
OTHER_BANK = Clabe.build("014", "180", "5002")
PAYEE_BANK = Clabe.build("002", "180", "7002")
NEW_PAYEE_BANK = Clabe.build("002", "180", "7009")
AMOUNT = 200_000
"""2,000.00 MXN: well under the N1 monthly cap of 750 UDIs."""
SETTLED_IN = timedelta(days=4)
STEP = timedelta(minutes=1)
DELIVERY = timedelta(days=1)
"""How long the goods take to arrive: a payer releasing minutes after funding is suspect."""
JUSTIFICATION = "Payee confirmed the new account by phone and sent a bank letter"


@attrs.define
class FraudWorld:
    """A payer, a payee and two admins on the in-memory product screened by the rule engine."""

    app: InMemoryKustodia
    payer: User
    payee: User
    admin: User
    second_admin: User
    deposits_made: int = 0

    @property
    def uc(self) -> UseCases:
        """The use cases, a minute after the previous call."""
        self.app.clock.advance(STEP)
        return self.app.use_cases

    async def open(
        self, *, amount: int = AMOUNT, custody_percent: int = 100, milestones: Sequence[int] = ()
    ) -> Escrow:
        return await self.uc.open_escrow.execute(
            OpenEscrow(
                creator_id=self.payer.id,
                kind=EscrowKind.STANDARD,
                creator_role=CreatorRole.PAYER,
                counterparty_email=self.payee.email,
                amount_minor=amount,
                currency="MXN",
                custody_percent=custody_percent,
                custody_days=10,
                description="a used bicycle",
                milestones=tuple((f"m{i}", bps) for i, bps in enumerate(milestones, 1)),
            )
        )

    async def deposit(
        self, escrow: Escrow, amount: int | None = None, *, source: Clabe = PAYER_BANK
    ) -> DepositOutcome:
        uc = self.uc
        return await uc.record_deposit.execute(self.deposit_of(escrow, amount, source=source))

    def deposit_of(
        self, escrow: Escrow, amount: int | None = None, *, source: Clabe = PAYER_BANK
    ) -> RecordDeposit:
        """A new transfer into ``escrow`` (the amount due unless ``amount``), received now."""
        self.deposits_made += 1
        return RecordDeposit(
            tracking_key=f"trk{self.deposits_made:04d}",
            clabe=escrow.deposit_clabe.value,
            reference=escrow.reference,
            amount_minor=escrow.amount_due.amount_minor if amount is None else amount,
            currency="MXN",
            source_clabe=source.value,
            sender_name="Payer",
            received_at=self.app.clock.now(),
        )

    async def funded(self, *, custody_percent: int = 100, milestones: Sequence[int] = ()) -> Escrow:
        escrow = await self.open(custody_percent=custody_percent, milestones=milestones)
        assert await self.deposit(escrow) is DepositOutcome.APPLIED
        return await self.escrow(escrow.id)

    def delivered(self) -> None:
        """The goods arrived: a day passes."""
        self.app.clock.advance(DELIVERY)

    async def release(self, escrow: Escrow, milestone: str | None = None) -> Escrow:
        return await self.uc.approve_release.execute(
            ApproveRelease(escrow_id=escrow.id, actor_id=self.payer.id, milestone=milestone)
        )

    async def change_payee_account(self, clabe: Clabe = NEW_PAYEE_BANK) -> None:
        await self.uc.set_payout_account.execute(
            SetPayoutAccount(user_id=self.payee.id, clabe=clabe.value, holder_name="Payee")
        )

    async def override(self, alert: Alert, *, approver: User | None = None) -> None:
        """The first admin asks to lift ``alert``'s decision; ``approver`` approves it."""
        requested = await self.uc.platform.overrides.request(
            RequestOverride(
                admin_id=self.admin.id, alert_id=alert.alert_id, justification=JUSTIFICATION
            )
        )
        await self.uc.platform.overrides.approve(
            DecideOverride(
                admin_id=(approver or self.second_admin).id, override_id=requested.override_id
            )
        )

    # ------------------------------------------------------------------ reads
    async def escrow(self, escrow_id: str) -> Escrow:
        async with self.app.uow() as uow:
            return await uow.escrows.get(escrow_id)

    async def timeline(self, escrow_id: str) -> list[DomainEvent]:
        async with self.app.uow() as uow:
            return list(await uow.events.for_aggregate(escrow_id))

    async def screened(self, escrow_id: str) -> list[RiskScreened]:
        return [e for e in await self.timeline(escrow_id) if isinstance(e, RiskScreened)]

    async def open_alerts(self) -> list[Alert]:
        return list(await self.uc.platform.back_office.fraud_alerts(self.admin.id, AlertState.OPEN))

    async def listed(self, list_name: ListName) -> tuple[ListEntry, ...]:
        return await self.uc.platform.lists.active(self.admin.id, list_name)

    async def notifications(self, user: User) -> list[Notification]:
        async with self.app.uow() as uow:
            return list(await uow.notifications.list_for_user(user.id, limit=100))

    async def pending(self, topic: str) -> list[OutboxMessage]:
        async with self.app.uow() as uow:
            return [m for m in await uow.outbox.pending(1_000) if m.topic == topic]


async def _user(app: InMemoryKustodia, name: str, bank: Clabe | None, role: Role) -> User:
    user = await app.use_cases.register_user.execute(
        RegisterUser(email=f"{name}@example.mx", full_name=name.title(), role=role)
    )
    if bank is None:
        return user
    return await app.use_cases.set_payout_account.execute(
        SetPayoutAccount(user_id=user.id, clabe=bank.value, holder_name=name.title())
    )


async def build_fraud_world() -> FraudWorld:
    """Everyone registered, payout accounts set, then :data:`SETTLED_IN` passes."""
    app = build_in_memory()
    world = FraudWorld(
        app=app,
        payer=await _user(app, "payer", PAYER_BANK, Role.USER),
        payee=await _user(app, "payee", PAYEE_BANK, Role.USER),
        admin=await _user(app, "admin", None, Role.ADMIN),
        second_admin=await _user(app, "auditor", None, Role.ADMIN),
    )
    app.clock.advance(SETTLED_IN)
    return world
