"""Admins assess and resolve disputes; large resolutions wait for a second admin."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import FromPath, JSONBody

from kustodia_domain.services.resolve_dispute import ApproveResolution, ResolveDispute
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.disputes import AssessmentOut, DisputeOut, ResolveIn


class AdminDisputeController(Controller):
    path = "/v1/admin/disputes"
    tags = ("admin",)

    @post(
        "/{dispute_id:str}/assessment",
        status_code=200,
        opt={OPT: True},
        summary="Run the AI assessment",
    )
    async def assess(
        self, dispute_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> AssessmentOut:
        """Advisory only; stored with the dispute, with the model and whether the fallback ran."""
        principal.require_admin()
        return AssessmentOut.of(await uc.platform.admin.assess(principal.id, dispute_id))

    @post(
        "/{dispute_id:str}/resolve", status_code=200, opt={OPT: True}, summary="Resolve a dispute"
    )
    async def resolve(
        self,
        dispute_id: FromPath[str],
        data: JSONBody[ResolveIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> DisputeOut:
        """Release, refund or split; a split needs ``payee_amount`` in minor units.

        The payer gets the rest of the custody. At or above the high-value threshold the
        dispute awaits a second admin's approval.
        """
        principal.require_admin()
        dispute = await uc.platform.admin.resolve(
            ResolveDispute(
                dispute_id=dispute_id,
                admin_id=UserId(principal.id),
                resolution=data.outcome,
                reason=data.reason,
                payee_amount_minor=None if data.payee_amount is None else int(data.payee_amount),
            )
        )
        return DisputeOut.of(dispute)

    @post(
        "/{dispute_id:str}/approve",
        status_code=200,
        opt={OPT: True},
        summary="Second admin approves",
    )
    async def approve(
        self, dispute_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> DisputeOut:
        """Four eyes: the approver must not be the admin who proposed the resolution."""
        principal.require_admin()
        dispute = await uc.platform.admin.approve_resolution(
            ApproveResolution(dispute_id=dispute_id, admin_id=UserId(principal.id))
        )
        return DisputeOut.of(dispute)
