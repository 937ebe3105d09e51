"""Use cases on users: registration and the payout account."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.identity.model import PayoutAccount, Role, User
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_records import payout_account_changed, user_registered
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class ClientContext:
    """Where a command came from, when the edge knows: the client's IP and device fingerprint.

    The fraud rules count sign-ups per device and IP and notice new devices.
    """

    ip: str | None = None
    device: str | None = None

    def facts(self) -> dict[str, FactValue]:
        """The non-empty ones, as screening attributes."""
        return {k: v for k, v in (("ip", self.ip), ("device", self.device)) if v}


@attrs.frozen(kw_only=True)
class RegisterUser:
    """Register a user; ``role`` is ``user`` unless an operator creates an admin."""

    email: str
    full_name: str
    role: Role = Role.USER
    client: ClientContext = ClientContext()


@attrs.frozen
class RegisterUserHandler:
    """Registers a user with a deposit CLABE issued by the rail.

    Rules: e-mails are unique (case-insensitive); sign-ups are screened with the e-mail, IP and
    device (``block`` refuses and nothing is created); the rail is called before the transaction,
    and issues the same CLABE for the same id; the user's first risk profile is saved.

    Raises:
        ConflictError: the e-mail is taken. ValidationError: bad e-mail or name.
        OperationBlockedError: the risk screen blocked the sign-up.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail
    risk: RiskGate
    profiles: ProfileKeeper

    async def execute(self, cmd: RegisterUser) -> User:
        now = self.clock.now()
        async with self.uow() as uow:
            if await uow.users.find_by_email(cmd.email) is not None:
                raise ConflictError("that e-mail is already registered")
        user_id = UserId(self.ids.new_id("usr"))
        await self.risk.check(
            "account.created",
            actor_id=user_id,
            at=now,
            attributes={"email": cmd.email.strip().lower(), **cmd.client.facts()},
        )
        clabe = await self.rail.issue_deposit_clabe(user_id)
        user = User(
            id=user_id,
            email=cmd.email,
            full_name=cmd.full_name,
            role=cmd.role,
            deposit_clabe=clabe,
            created_at=now,
        )
        async with self.uow() as uow:
            await uow.users.add(user)
            await uow.audit.add(user_registered(user, now))
            await uow.commit()
        await self.profiles.registered(user)
        return user


@attrs.frozen(kw_only=True)
class SetPayoutAccount:
    """Set the caller's payout account (CLABE + holder name)."""

    user_id: UserId
    clabe: str
    holder_name: str
    client: ClientContext = ClientContext()


@attrs.frozen
class SetPayoutAccountHandler:
    """Validates the CLABE (digits, bank code, check digit) and records the change time.

    The change is screened (with the client's IP and device) before it is stored, and a new
    risk profile version records the CLABE and when it changed.

    Raises:
        ValidationError: bad CLABE or holder name (nothing changes).
        OperationBlockedError: the change was blocked by the risk screen.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    risk: RiskGate
    profiles: ProfileKeeper

    async def execute(self, cmd: SetPayoutAccount) -> User:
        account = PayoutAccount(clabe=Clabe(cmd.clabe), holder_name=cmd.holder_name)
        now = self.clock.now()
        await self.risk.check(
            "payout_account.changed",
            actor_id=cmd.user_id,
            at=now,
            attributes={"payout_clabe": account.clabe.value, **cmd.client.facts()},
        )
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
            changed = account != user.payout_account
            user.set_payout_account(account, now)
            await uow.users.save(user)
            await uow.audit.add(payout_account_changed(user, now))
            await uow.commit()
        if changed:
            await self.profiles.payout_account_changed(user, now)
        return user
