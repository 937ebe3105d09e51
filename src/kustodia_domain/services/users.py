"""Use cases on users: registration and the payout account."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.identity.model import PayoutAccount, Role, User
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class RegisterUser:
    """Register a user; ``role`` is ``user`` unless an operator creates an admin."""

    email: str
    full_name: str
    role: Role = Role.USER


@attrs.frozen
class RegisterUserHandler:
    """Registers a user with a deposit CLABE issued by the rail.

    Rules: e-mails are unique (case-insensitive); sign-ups are screened (``block`` refuses);
    the rail is called before the transaction, and issues the same CLABE for the same id.

    Raises:
        ConflictError: the e-mail is taken. ValidationError: bad e-mail or name.
        OperationBlockedError: the risk screen blocked the sign-up.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail
    risk: RiskGate

    async def execute(self, cmd: RegisterUser) -> User:
        now = self.clock.now()
        async with self.uow() as uow:
            if await uow.users.find_by_email(cmd.email) is not None:
                raise ConflictError("that e-mail is already registered")
        user_id = UserId(self.ids.new_id("usr"))
        await self.risk.check(
            "account.created", actor_id=user_id, at=now, attributes={"email": cmd.email.lower()}
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
            await uow.commit()
        return user


@attrs.frozen(kw_only=True)
class SetPayoutAccount:
    """Set the caller's payout account (CLABE + holder name)."""

    user_id: UserId
    clabe: str
    holder_name: str


@attrs.frozen
class SetPayoutAccountHandler:
    """Validates the CLABE (digits, bank code, check digit) and records the change time.

    Raises:
        ValidationError: bad CLABE or holder name (nothing changes).
        OperationBlockedError: the change was blocked by the risk screen.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    risk: RiskGate

    async def execute(self, cmd: SetPayoutAccount) -> User:
        account = PayoutAccount(clabe=Clabe(cmd.clabe), holder_name=cmd.holder_name)
        now = self.clock.now()
        await self.risk.check(
            "payout_account.changed",
            actor_id=cmd.user_id,
            at=now,
            attributes={"payout_clabe": account.clabe.value},
        )
        async with self.uow() as uow:
            user = await uow.users.get(cmd.user_id)
            user.set_payout_account(account, now)
            await uow.users.save(user)
            await uow.commit()
        return user
