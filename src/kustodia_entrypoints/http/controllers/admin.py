"""The back office: escrow search and holds, users and KYC, queues, analytics, audit.

Also the outbox's dead letters: messages the worker gave up on, which an admin may retry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.escrow.terms import EscrowKind
from kustodia_domain.fraud.alerts import AlertState
from kustodia_domain.ports.back_office import EscrowFilter
from kustodia_domain.services.holds import HoldEscrow
from kustodia_domain.services.payouts import ReissuePayout
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.admin import (
    AdminUserOut,
    AdminUserPage,
    AlertList,
    AlertOut,
    AlertResolutionIn,
    AnalyticsOut,
    AuditCheckOut,
    AuditEntryOut,
    AuditPage,
    DeadLetterList,
    DeadLetterOut,
    HoldIn,
    KycLevelIn,
    ReissueIn,
    UnmatchedDepositList,
    UnmatchedDepositOut,
)
from kustodia_entrypoints.http.schemas.escrows import EscrowOut, EscrowPage

Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Offset = Annotated[int, QueryParameter(ge=0)]


class AdminEscrowController(Controller):
    path = "/v1/admin"
    tags = ("admin",)

    @get("/escrows", summary="Search and filter escrows")
    async def search(
        self,
        *,
        principal: PrincipalDep,
        uc: UseCasesDep,
        status: FromQuery[EscrowState | None] = None,
        party_id: FromQuery[str | None] = None,
        reference: FromQuery[str | None] = None,
        kind: FromQuery[EscrowKind | None] = None,
        needs_review: FromQuery[bool | None] = None,
        created_from: FromQuery[datetime | None] = None,
        created_to: FromQuery[datetime | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> EscrowPage:
        principal.require_staff()
        criteria = EscrowFilter(
            status=status,
            party_id=party_id,
            reference=reference,
            kind=kind,
            needs_review=needs_review,
            created_from=created_from,
            created_to=created_to,
            limit=limit,
            offset=offset,
        )
        escrows = await uc.platform.back_office.search_escrows(principal.id, criteria)
        return EscrowPage.of(escrows, limit, offset)

    @post(
        "/escrows/{escrow_id:str}/hold",
        status_code=200,
        opt={OPT: True},
        summary="Hold a funded escrow",
    )
    async def hold(
        self,
        escrow_id: FromPath[str],
        data: JSONBody[HoldIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> EscrowOut:
        """Release, auto-release and payouts pause; no money moves."""
        principal.require_admin()
        cmd = HoldEscrow(escrow_id=escrow_id, admin_id=UserId(principal.id), reason=data.reason)
        return EscrowOut.of(await uc.platform.admin.hold(cmd))

    @post(
        "/escrows/{escrow_id:str}/clear-hold",
        status_code=200,
        opt={OPT: True},
        summary="Clear a hold",
    )
    async def clear_hold(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        principal.require_admin()
        cmd = HoldEscrow(escrow_id=escrow_id, admin_id=UserId(principal.id))
        return EscrowOut.of(await uc.platform.admin.clear_hold(cmd))

    @post(
        "/payouts/{payout_id:str}/reissue",
        status_code=200,
        opt={OPT: True},
        summary="Reissue a returned payout",
    )
    async def reissue(
        self,
        payout_id: FromPath[str],
        principal: PrincipalDep,
        uc: UseCasesDep,
        data: JSONBody[ReissueIn | None] = None,
    ) -> EscrowOut:
        principal.require_admin()
        cmd = ReissuePayout(
            payout_id=payout_id, destination=None if data is None else data.destination
        )
        return EscrowOut.of(await uc.platform.admin.reissue_payout(principal.id, cmd))

    @get("/analytics", summary="GMV and fee revenue (kept apart), counts by status, dispute rate")
    async def analytics(self, principal: PrincipalDep, uc: UseCasesDep) -> AnalyticsOut:
        principal.require_staff()
        return AnalyticsOut.of(await uc.platform.back_office.analytics(principal.id))

    @get("/reconciliation", summary="Deposits that matched no escrow (held in suspense)")
    async def reconciliation(
        self, principal: PrincipalDep, uc: UseCasesDep
    ) -> UnmatchedDepositList:
        principal.require_staff()
        deposits = await uc.platform.back_office.reconciliation_queue(principal.id)
        return UnmatchedDepositList(items=[UnmatchedDepositOut.of(d) for d in deposits])

    @get("/outbox/dead", summary="Outbox messages given up on after their last attempt")
    async def dead_letters(
        self, principal: PrincipalDep, uc: UseCasesDep, limit: Limit = 100
    ) -> DeadLetterList:
        principal.require_admin()
        dead = await uc.platform.operations.dead_letters(limit)
        return DeadLetterList(items=[DeadLetterOut.of(d) for d in dead])

    @post(
        "/outbox/{key:str}/retry",
        status_code=202,
        opt={OPT: True},
        summary="Retry a dead outbox message",
    )
    async def retry_dead_letter(
        self, key: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> None:
        """The message is pending again, due now, with its attempts counted from zero."""
        principal.require_admin()
        await uc.platform.operations.retry_dead_letter(principal.id, key)


class AdminUserController(Controller):
    path = "/v1/admin/users"
    tags = ("admin",)

    @get(summary="Search users by e-mail or name")
    async def users(
        self,
        principal: PrincipalDep,
        uc: UseCasesDep,
        q: FromQuery[str | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> AdminUserPage:
        principal.require_staff()
        users = await uc.platform.back_office.users(
            principal.id, text=q, limit=limit, offset=offset
        )
        return AdminUserPage(items=[AdminUserOut.of(u) for u in users], limit=limit, offset=offset)

    @put("/{user_id:str}/kyc-level", summary="Set a user's KYC level")
    async def kyc_level(
        self,
        user_id: FromPath[str],
        data: JSONBody[KycLevelIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> AdminUserOut:
        principal.require_admin()
        return AdminUserOut.of(
            await uc.platform.admin.change_kyc_level(principal.id, user_id, data.kyc_level)
        )


class AdminFraudController(Controller):
    path = "/v1/admin/fraud/alerts"
    tags = ("admin",)

    @get(summary="The fraud review queue")
    async def alerts(
        self,
        principal: PrincipalDep,
        uc: UseCasesDep,
        alert_state: Annotated[AlertState, QueryParameter(name="state")] = AlertState.OPEN,
    ) -> AlertList:
        principal.require_staff()
        alerts = await uc.platform.back_office.fraud_alerts(principal.id, alert_state)
        return AlertList(items=[AlertOut.of(a) for a in alerts])

    @post("/{alert_id:str}/clear", status_code=200, summary="Close an alert as a false positive")
    async def clear(
        self,
        alert_id: FromPath[str],
        principal: PrincipalDep,
        uc: UseCasesDep,
        data: JSONBody[AlertResolutionIn | None] = None,
    ) -> AlertOut:
        principal.require_admin()
        note = "" if data is None else data.note
        return AlertOut.of(
            await uc.platform.admin.resolve_alert(principal.id, alert_id, fraud=False, note=note)
        )

    @post("/{alert_id:str}/confirm", status_code=200, summary="Close an alert as confirmed fraud")
    async def confirm(
        self,
        alert_id: FromPath[str],
        principal: PrincipalDep,
        uc: UseCasesDep,
        data: JSONBody[AlertResolutionIn | None] = None,
    ) -> AlertOut:
        principal.require_admin()
        note = "" if data is None else data.note
        return AlertOut.of(
            await uc.platform.admin.resolve_alert(principal.id, alert_id, fraud=True, note=note)
        )


class AdminAuditController(Controller):
    path = "/v1/admin/audit"
    tags = ("admin",)

    @get(summary="The audit trail, oldest first")
    async def entries(
        self, principal: PrincipalDep, uc: UseCasesDep, limit: Limit = 50, offset: Offset = 0
    ) -> AuditPage:
        principal.require_staff()
        entries = await uc.platform.back_office.audit_entries(
            principal.id, offset=offset, limit=limit
        )
        return AuditPage(items=[AuditEntryOut.of(e) for e in entries], limit=limit, offset=offset)

    @get("/verify", summary="Re-hash the audit chain and report the first broken entry")
    async def verify(self, principal: PrincipalDep, uc: UseCasesDep) -> AuditCheckOut:
        principal.require_staff()
        check = await uc.platform.back_office.verify_audit(principal.id)
        return AuditCheckOut(ok=check.ok, checked=check.checked, first_broken=check.first_broken)
