"""Back-office actions (admins only), each recorded in the audit trail.

They wrap the domain's handlers with the two things an admin action needs whatever the edge:
the stored role is checked, and the action's audit record, which the handler committed with
the change, is chained onto the hash-chained trail. Alert resolutions and KYC changes are
audited by their own code (see :meth:`BackOfficeCommands.resolve_alert`,
:func:`~kustodia_domain.services.kyc.change_kyc_level`).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.disputes.assessment import Assessment
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.fraud.alerts import Alert, AlertRepository
from kustodia_domain.identity.model import KycLevel, User
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.audited import Audited
from kustodia_domain.services.holds import ClearHoldHandler, HoldEscrow, HoldEscrowHandler
from kustodia_domain.services.kyc import change_kyc_level
from kustodia_domain.services.payouts import ReissuePayout, ReissuePayoutHandler
from kustodia_domain.services.resolve_dispute import (
    ApproveResolution,
    ApproveResolutionHandler,
    AssessDispute,
    AssessDisputeHandler,
    ResolveDispute,
    ResolveDisputeHandler,
)
from kustodia_domain.services.risk_gate import RiskGate
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.services.staff import ACTORS, require_role
from kustodia_domain.shared.errors import NotFoundError


@attrs.frozen(kw_only=True)
class DisputeHandlers:
    """The dispute handlers an admin drives."""

    assess: AssessDisputeHandler
    resolve: ResolveDisputeHandler
    approve: ApproveResolutionHandler


@attrs.frozen
class BackOfficeCommands:
    """Admin actions, audited.

    Every method raises ForbiddenError for anyone but an admin, and whatever the wrapped
    handler raises (see each handler).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    audit: AuditLog
    alerts: AlertRepository
    hold_escrow: HoldEscrowHandler
    clear_hold_handler: ClearHoldHandler
    disputes: DisputeHandlers
    reissue: ReissuePayoutHandler
    risk: RiskGate
    profiles: ProfileKeeper

    async def change_kyc_level(self, admin_id: str, user_id: str, level: KycLevel) -> User:
        """Record the level the KYC provider verified; screened as ``kyc.updated`` first.

        Raises: NotFoundError, OperationBlockedError (the level stays as it was).
        """
        await self._admin(admin_id)
        return await change_kyc_level(
            uow=self.uow,
            clock=self.clock,
            risk=self.risk,
            profiles=self.profiles,
            audit=self.audit,
            actor_id=admin_id,
            user_id=user_id,
            level=level,
        )

    async def hold(self, cmd: HoldEscrow) -> Escrow:
        await self._admin(cmd.admin_id)
        return await Audited(self.hold_escrow.execute, self.audit).execute(cmd)

    async def clear_hold(self, cmd: HoldEscrow) -> Escrow:
        await self._admin(cmd.admin_id)
        return await Audited(self.clear_hold_handler.execute, self.audit).execute(cmd)

    async def assess(self, admin_id: str, dispute_id: str) -> Assessment:
        await self._admin(admin_id)
        cmd = AssessDispute(dispute_id=dispute_id, requested_by=admin_id)
        return await Audited(self.disputes.assess.execute, self.audit).execute(cmd)

    async def resolve(self, cmd: ResolveDispute) -> Dispute:
        await self._admin(cmd.admin_id)
        return await Audited(self.disputes.resolve.execute, self.audit).execute(cmd)

    async def approve_resolution(self, cmd: ApproveResolution) -> Dispute:
        await self._admin(cmd.admin_id)
        return await Audited(self.disputes.approve.execute, self.audit).execute(cmd)

    async def reissue_payout(self, admin_id: str, cmd: ReissuePayout) -> Escrow:
        await self._admin(admin_id)
        reissue = attrs.evolve(cmd, requested_by=admin_id)
        return await Audited(self.reissue.execute, self.audit).execute(reissue)

    async def resolve_alert(self, admin_id: str, alert_id: str, *, fraud: bool, note: str) -> Alert:
        """Clear an alert as a false positive, or confirm fraud.

        Raises: NotFoundError, InvalidAlertTransitionError (already resolved).
        """
        await self._admin(admin_id)
        alert = await self.alerts.get(alert_id)
        if alert is None:
            raise NotFoundError("alert", alert_id)
        if fraud:
            alert.confirm_fraud(by=admin_id, at=self.clock.now(), note=note)
        else:
            alert.clear(by=admin_id, at=self.clock.now(), note=note)
        alert.pull_events()
        await self.alerts.save(alert)
        await self._record(
            admin_id, "fraud.alert_resolved", "alert", alert_id, {"state": alert.state.value}
        )
        return alert

    async def _admin(self, admin_id: str) -> None:
        async with self.uow() as uow:
            await require_role(uow, admin_id, ACTORS)

    async def _record(
        self,
        actor_id: str,
        action: str,
        subject_type: str,
        subject_id: str,
        details: dict[str, str | int | bool | None],
    ) -> None:
        await self.audit.record(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )
