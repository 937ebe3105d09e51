"""Assessment and resolution of disputes (admins)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from kustodia_domain.disputes.assessment import (
    Assessment,
    AssessmentRequest,
    SideActivity,
)
from kustodia_domain.disputes.model import Dispute, ResolutionDecision
from kustodia_domain.escrow.custody import Resolution
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.identity.model import User
from kustodia_domain.ports.assessor import DisputeAssessor, PartyHistoryReader
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import require_admin
from kustodia_domain.services.audit_records import (
    dispute_assessed,
    resolution_approved,
    resolution_proposed,
)
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.directory import payout_directory
from kustodia_domain.services.persistence import persist_dispute, persist_escrow
from kustodia_domain.services.risk_profiles import ProfileKeeper
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_domain.shared.money import Money


def _activity(dispute: Dispute, user_id: str) -> SideActivity:
    files = [e for e in dispute.evidence if e.uploaded_by == user_id]
    return SideActivity(
        messages=sum(m.author_id == user_id for m in dispute.messages),
        evidence_files=len(files),
        evidence_bytes=sum(e.size_bytes for e in files),
    )


async def _settle(
    uow: UnitOfWork,
    escrow: Escrow,
    decision: ResolutionDecision,
    *,
    policy: PlatformPolicy,
    ids: IdGenerator,
    at: datetime,
) -> User | None:
    """Settle ``escrow`` as decided; returns the party who lost the dispute, if one did."""
    directory = await payout_directory(uow.users, escrow, policy.treasury_clabe)
    escrow.resolve(
        decision.resolution,
        at,
        directory,
        payee_amount=decision.payee_amount,
        reason=decision.reason,
    )
    await persist_escrow(uow, escrow, ids)
    # A refund rejects the payee's side, a release the payer's; a split decides for neither.
    loser = {Resolution.REFUND: escrow.payee_id, Resolution.RELEASE: escrow.payer_id}.get(
        decision.resolution
    )
    return None if loser is None else await uow.users.get(loser)


@attrs.frozen(kw_only=True)
class AssessDispute:
    """Ask the assessor for a recommendation on a dispute.

    ``requested_by`` is the admin who asked; None when the worker assesses a newly opened one.
    """

    dispute_id: str
    requested_by: str | None = None


@attrs.frozen
class AssessDisputeHandler:
    """Asks the assessor and stores its validated assessment on the dispute.

    The facts sent carry no e-mails, CLABEs or names; the assessor is called outside any
    transaction. The stored assessment and its audit record (``dispute.assessed``) commit
    together.

    Raises: NotFoundError, DisputeClosedError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    assessor: DisputeAssessor
    history: PartyHistoryReader

    async def execute(self, cmd: AssessDispute) -> Assessment:
        async with self.uow() as uow:
            dispute = await uow.disputes.get(cmd.dispute_id)
            escrow = await uow.escrows.get(dispute.escrow_id)
        request = await self._request(dispute, escrow)
        assessment = await self.assessor.assess(request, self.clock.now())
        async with self.uow() as uow:
            dispute = await uow.disputes.get(cmd.dispute_id)
            dispute.record_assessment(assessment)
            await persist_dispute(uow, dispute, self.ids)
            await uow.audit.add(
                dispute_assessed(cmd.requested_by, dispute, assessment, self.clock.now())
            )
            await uow.commit()
        return assessment

    async def _request(self, dispute: Dispute, escrow: Escrow) -> AssessmentRequest:
        assert escrow.funded_at is not None  # noqa: S101 - disputes exist only once funded
        assert escrow.custody_ends_at is not None  # noqa: S101
        opener = "payer" if dispute.opened_by == escrow.payer_id else "payee"
        disputed = escrow.custody_balance if escrow.settled_at is None else escrow.terms.amount
        return AssessmentRequest(
            dispute_id=dispute.id,
            opened_by=opener,
            amount=escrow.terms.amount,
            disputed_amount=disputed,
            escrow_kind=escrow.kind.value,
            reason=dispute.reason,
            details=dispute.details,
            funded_at=escrow.funded_at,
            custody_ends_at=escrow.custody_ends_at,
            opened_at=dispute.opened_at,
            payer=await self.history.history(escrow.payer_id, dispute.opened_at),
            payee=await self.history.history(escrow.payee_id, dispute.opened_at),
            payer_activity=_activity(dispute, escrow.payer_id),
            payee_activity=_activity(dispute, escrow.payee_id),
            response_due_at=dispute.response_due_at,
        )


@attrs.frozen(kw_only=True)
class ResolveDispute:
    """An admin resolves: ``release``, ``refund`` or ``split`` with ``payee_amount_minor``."""

    dispute_id: str
    admin_id: UserId
    resolution: Resolution
    reason: str
    payee_amount_minor: int | None = None


@attrs.frozen
class ResolveDisputeHandler:
    """Resolves a dispute and settles the escrow in one transaction (at most once).

    Rules: the AI assessment is advisory; a reason is required; a split names the payee's
    amount (the payer gets the rest of the custody); when the custody at stake is at least the
    high-value threshold the resolution waits for a second, different admin; the losing party's
    risk profile records the lost dispute. The resolution (and the settlement, when final)
    commits with its audit record (``dispute.resolution_proposed``).

    Raises: ForbiddenError (not an admin), NotFoundError, DisputeClosedError, ValidationError,
    SettlementRuleError, InvalidEscrowTransitionError, FourEyesError.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    policy: PlatformPolicy
    profiles: ProfileKeeper

    async def execute(self, cmd: ResolveDispute) -> Dispute:
        now = self.clock.now()
        loser = None
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
            dispute = await uow.disputes.get(cmd.dispute_id)
            escrow = await uow.escrows.get(dispute.escrow_id)
            payee_amount = self._payee_amount(cmd, escrow)
            decision = ResolutionDecision(
                resolution=cmd.resolution,
                payee_amount=payee_amount,
                reason=cmd.reason,
                proposed_by=cmd.admin_id,
                proposed_at=now,
            )
            final = dispute.propose_resolution(
                decision,
                needs_second_admin=escrow.custody_balance >= self.policy.high_value_threshold,
            )
            if final is not None:
                loser = await _settle(uow, escrow, final, policy=self.policy, ids=self.ids, at=now)
            await persist_dispute(uow, dispute, self.ids)
            await uow.audit.add(resolution_proposed(cmd.admin_id, dispute, decision, now))
            await uow.commit()
        if loser is not None:
            await self.profiles.dispute_lost(loser, now)
        return dispute

    @staticmethod
    def _payee_amount(cmd: ResolveDispute, escrow: Escrow) -> Money | None:
        if cmd.resolution is not Resolution.SPLIT:
            return None
        if cmd.payee_amount_minor is None:
            raise ValidationError("a split needs payee_amount", field="payee_amount")
        return Money(cmd.payee_amount_minor, escrow.terms.amount.currency)


@attrs.frozen(kw_only=True)
class ApproveResolution:
    """A second admin approves a pending high-value resolution."""

    dispute_id: str
    admin_id: UserId


@attrs.frozen
class ApproveResolutionHandler:
    """The second admin's approval makes the proposal final and settles the escrow.

    The settlement commits with its audit record (``dispute.resolution_approved``).

    Raises: ForbiddenError (not an admin), NotFoundError, FourEyesError (same admin, or nothing
    pending).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    policy: PlatformPolicy
    profiles: ProfileKeeper

    async def execute(self, cmd: ApproveResolution) -> Dispute:
        async with self.uow() as uow:
            await require_admin(uow, cmd.admin_id)
            dispute = await uow.disputes.get(cmd.dispute_id)
            escrow = await uow.escrows.get(dispute.escrow_id)
            now = self.clock.now()
            decision = dispute.approve_resolution(cmd.admin_id, now)
            loser = await _settle(uow, escrow, decision, policy=self.policy, ids=self.ids, at=now)
            await persist_dispute(uow, dispute, self.ids)
            await uow.audit.add(resolution_approved(cmd.admin_id, dispute, now))
            await uow.commit()
        if loser is not None:
            await self.profiles.dispute_lost(loser, now)
        return dispute
