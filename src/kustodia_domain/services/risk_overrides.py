"""Overrides of ``hold``/``block`` decisions: an admin asks, a second admin decides.

The request names the alert of the decision and needs a justification of at least 20
characters. Approval is itself screened as ``override.requested`` (the governance rule checks the
justification and that the approver is not the requester); an approved override clears the hold
of the escrow it concerns, closes the alert, and lifts the same rules when the same operation on
that escrow is screened again. Every step shows in the escrow's timeline and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.alerts import AlertRepository, AlertState
from kustodia_domain.fraud.overrides import Override, OverrideRepository, OverrideState
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import require_admin
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.persistence import persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, record
from kustodia_domain.shared.errors import ConflictError, NotFoundError
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class RequestOverride:
    """Ask to lift the ``hold``/``block`` behind an alert."""

    admin_id: str
    alert_id: str
    justification: str


@attrs.frozen(kw_only=True)
class DecideOverride:
    """Approve or reject a pending override (``reason`` is kept with a rejection)."""

    admin_id: str
    override_id: str
    reason: str = ""


@attrs.frozen
class OverrideDesk:
    """Request, approve and reject overrides (admins only, audited).

    Every method raises ForbiddenError for anyone but an admin.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    alerts: AlertRepository
    overrides: OverrideRepository
    risk: RiskGate
    audit: AuditLog

    async def request(self, cmd: RequestOverride) -> Override:
        """Ask to lift the decision behind ``cmd.alert_id``.

        Raises: NotFoundError (alert), OverrideNotNeededError (below ``hold``),
        JustificationTooShortError, ConflictError (one is already pending or approved).
        """
        now = self.clock.now()
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
        alert = await self.alerts.get(cmd.alert_id)
        if alert is None:
            raise NotFoundError("alert", cmd.alert_id)
        earlier = await self.overrides.for_event(alert.event_id)
        if any(o.state is not OverrideState.REJECTED for o in earlier):
            raise ConflictError("an override of this decision is already pending or approved")
        override = Override.request_for_alert(
            override_id=self.ids.new_id("ovr"),
            alert=alert,
            requested_by=cmd.admin_id,
            justification=cmd.justification,
            at=now,
        )
        await self._on_escrow(
            override,
            lambda escrow: escrow.record_override_request(
                override_id=override.override_id,
                event_id=override.event_id,
                original_outcome=override.original_outcome.label,
                requested_by=cmd.admin_id,
                justification=override.justification,
                at=now,
            ),
        )
        await self._save(override, "fraud.override_requested", cmd.admin_id)
        return override

    async def approve(self, cmd: DecideOverride) -> Override:
        """Approve as the second admin: the hold clears and the decision is lifted.

        Raises: NotFoundError, SecondApproverRequiredError (the requester approves),
        InvalidOverrideTransitionError (already decided), OperationBlockedError (the governance
        screening refused it; nothing changes).
        """
        now = self.clock.now()
        override = await self._load(cmd)
        override.approve(by=cmd.admin_id, at=now)
        async with self.risk.session() as risk, self.uow() as uow:
            screening = await risk.check(
                "override.requested",
                actor_id=override.requested_by,
                at=now,
                escrow_id=override.escrow_id,
                attributes={
                    "approver_id": cmd.admin_id,
                    "justification": override.justification,
                    "override_of_outcome": override.original_outcome.label,
                    "overridden_event_id": override.event_id,
                },
            )
            escrow = await _escrow(uow, override)
            if escrow is not None:
                record(escrow, screening, "override.requested", now)
                _decided(escrow, override, cmd, now)
                if escrow.state is EscrowState.ON_HOLD:
                    escrow.clear_hold(UserId(cmd.admin_id), now, by_override=True)
                await persist_escrow(uow, escrow, self.ids)
                await uow.commit()
        await self._save(override, "fraud.override_approved", cmd.admin_id)
        await self._close_alert(override, cmd.admin_id, now)
        return override

    async def reject(self, cmd: DecideOverride) -> Override:
        """Reject as the second admin; the decision stands.

        Raises: NotFoundError, SecondApproverRequiredError, InvalidOverrideTransitionError.
        """
        now = self.clock.now()
        override = await self._load(cmd)
        override.reject(by=cmd.admin_id, at=now, reason=cmd.reason)
        await self._on_escrow(override, lambda escrow: _decided(escrow, override, cmd, now))
        await self._save(override, "fraud.override_rejected", cmd.admin_id)
        return override

    async def _load(self, cmd: DecideOverride) -> Override:
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
        override = await self.overrides.get(cmd.override_id)
        if override is None:
            raise NotFoundError("override", cmd.override_id)
        return override

    async def _on_escrow(self, override: Override, change: Callable[[Escrow], None]) -> None:
        async with self.uow() as uow:
            escrow = await _escrow(uow, override)
            if escrow is None:
                return
            change(escrow)
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()

    async def _save(self, override: Override, action: str, admin_id: str) -> None:
        override.pull_events()  # their content is in the escrow's timeline and the audit trail
        await self.overrides.save(override)
        await self.audit.record(
            actor_id=admin_id,
            action=action,
            subject_type="override",
            subject_id=override.override_id,
            details={
                "event_id": override.event_id,
                "escrow_id": override.escrow_id,
                "outcome": override.original_outcome.label,
                "state": override.state.value,
            },
        )

    async def _close_alert(self, override: Override, admin_id: str, at: datetime) -> None:
        for alert in await self.alerts.for_event(override.event_id):
            if alert.state is AlertState.OPEN:
                alert.clear(by=admin_id, at=at, note=f"override {override.override_id} approved")
                alert.pull_events()
                await self.alerts.save(alert)


async def _escrow(uow: UnitOfWork, override: Override) -> Escrow | None:
    """The escrow the decision was about, if it exists (a blocked creation never stored one)."""
    if override.escrow_id is None:
        return None
    try:
        return await uow.escrows.get(override.escrow_id)
    except NotFoundError:
        return None


def _decided(escrow: Escrow, override: Override, cmd: DecideOverride, at: datetime) -> None:
    escrow.record_override_decision(
        override_id=override.override_id,
        state=override.state.value,
        decided_by=cmd.admin_id,
        reason=cmd.reason,
        at=at,
    )
