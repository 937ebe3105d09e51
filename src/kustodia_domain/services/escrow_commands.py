"""Use cases a party runs on its escrow before settlement: accept, cancel, approve release."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import visible_escrow
from kustodia_domain.services.audit_records import escrow_changed
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.directory import payout_directory, require_payout_accounts
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, apply, escrow_facts
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class EscrowCommand:
    """A party's command on one escrow."""

    escrow_id: str
    actor_id: UserId


@attrs.frozen(kw_only=True)
class ApproveRelease(EscrowCommand):
    """Approve release (of one milestone when the escrow has milestones)."""

    milestone: str | None = None


@attrs.frozen
class AcceptEscrowHandler:
    """The payer accepts a payment request; it then awaits funds for the funding window.

    Raises: NotFoundError (not visible), NotAPartyError (not the payer),
    InvalidEscrowTransitionError (not a pending request), MissingPayoutAccountError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    policy: PlatformPolicy

    async def execute(self, cmd: EscrowCommand) -> Escrow:
        async with self.uow() as uow:
            escrow = await visible_escrow(uow, cmd.escrow_id, cmd.actor_id)
            await require_payout_accounts(
                uow.users, [escrow.payee_id, *(c.broker_id for c in escrow.terms.commissions)]
            )
            now = self.clock.now()
            escrow.accept(cmd.actor_id, now, self.policy.funding_window)
            await persist_escrow(uow, escrow, self.ids)
            await uow.audit.add(escrow_changed("escrow.accepted", cmd.actor_id, escrow, now))
            await uow.commit()
        return escrow


@attrs.frozen
class CancelEscrowHandler:
    """Either party cancels before funding; partial deposits go back to their sources.

    Raises: NotFoundError, NotAPartyError, InvalidEscrowTransitionError (funded or ended).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: EscrowCommand) -> Escrow:
        async with self.uow() as uow:
            escrow = await visible_escrow(uow, cmd.escrow_id, cmd.actor_id)
            now = self.clock.now()
            escrow.cancel(cmd.actor_id, now)
            await persist_escrow(uow, escrow, self.ids)
            await uow.audit.add(escrow_changed("escrow.cancelled", cmd.actor_id, escrow, now))
            await uow.commit()
        return escrow


@attrs.frozen
class ApproveReleaseHandler:
    """Records a party's approval and releases when the kind's rule is met.

    ``standard`` releases on the payer's approval; ``dual_approval`` needs both. Releases are
    screened once the approver and the escrow's state are known to be valid; a ``hold``
    decision holds the escrow instead of releasing it.

    Raises: NotFoundError, NotAPartyError, InvalidEscrowTransitionError (not funded: held,
    disputed or already settled; a lost race surfaces as ConcurrencyConflictError),
    SettlementRuleError, OperationBlockedError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    risk: RiskGate
    policy: PlatformPolicy

    async def execute(self, cmd: ApproveRelease) -> Escrow:
        now = self.clock.now()
        async with self.risk.session() as risk, self.uow() as uow:
            escrow = await visible_escrow(uow, cmd.escrow_id, cmd.actor_id)
            # Settled before screening: a ``hold`` must never let a broker change the escrow.
            escrow.require_approver(cmd.actor_id)
            screening = await risk.check(
                "release",
                actor_id=cmd.actor_id,
                at=now,
                escrow_id=escrow.id,
                amount=escrow.custody_balance,
                attributes=escrow_facts(escrow),
            )
            directory = await payout_directory(uow.users, escrow, self.policy.treasury_clabe)
            if not apply(escrow, screening, "release", now):
                escrow.approve_release(cmd.actor_id, now, directory, cmd.milestone)
            await persist_escrow(uow, escrow, self.ids)
            approved = escrow_changed("escrow.release_approved", cmd.actor_id, escrow, now)
            await uow.audit.add(approved)
            await uow.commit()
        return escrow
