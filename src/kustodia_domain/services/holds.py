"""Admin use cases: put an escrow on hold and clear the hold."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import require_admin
from kustodia_domain.services.audit_records import escrow_held, escrow_hold_cleared
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class HoldEscrow:
    """Hold a funded escrow (``reason`` required) or clear a hold (``reason`` ignored)."""

    escrow_id: str
    admin_id: UserId
    reason: str = ""


@attrs.frozen
class HoldEscrowHandler:
    """Puts a funded escrow on hold: release, auto-release and payouts pause; nothing moves.

    The hold and its audit record (``escrow.held``) commit together.

    Raises: ForbiddenError (not an admin), NotFoundError, InvalidEscrowTransitionError (not
    funded), ValidationError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: HoldEscrow) -> Escrow:
        if not cmd.reason.strip():
            raise ValidationError("a hold needs a reason", field="reason")
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
            escrow = await uow.escrows.get(cmd.escrow_id)
            now = self.clock.now()
            escrow.hold(cmd.reason, now)
            await persist_escrow(uow, escrow, self.ids)
            await uow.audit.add(escrow_held(cmd.admin_id, escrow, cmd.reason, now))
            await uow.commit()
        return escrow


@attrs.frozen
class ClearHoldHandler:
    """Clears a hold an admin placed; the escrow is funded again and the deadline rule applies.

    A hold the risk screen placed is lifted only by an approved override (four eyes:
    ``risk_overrides``), never here. The change and its audit record (``escrow.hold_cleared``)
    commit together.

    Raises: ForbiddenError (not an admin), NotFoundError, InvalidEscrowTransitionError (not on
    hold), RuleViolationError (the risk screen placed the hold).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: HoldEscrow) -> Escrow:
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
            escrow = await uow.escrows.get(cmd.escrow_id)
            now = self.clock.now()
            escrow.clear_hold(cmd.admin_id, now)
            await persist_escrow(uow, escrow, self.ids)
            await uow.audit.add(escrow_hold_cleared(cmd.admin_id, escrow, now))
            await uow.commit()
        return escrow
