"""The fraud desk: overrides of ``hold``/``block`` decisions (four eyes) and the internal lists."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from kustodia_domain.fraud.lists import ListName
from kustodia_domain.services.risk_lists_admin import AddListEntry
from kustodia_domain.services.risk_overrides import DecideOverride, RequestOverride
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.fraud import (
    ListEntryIn,
    ListEntryList,
    ListEntryOut,
    OverrideIn,
    OverrideOut,
    OverrideRejectionIn,
)


class AdminOverrideController(Controller):
    path = "/v1/admin/fraud/overrides"
    tags = ("admin",)

    @post(status_code=201, opt={OPT: True}, summary="Ask to lift a hold or block")
    async def request_override(
        self, data: JSONBody[OverrideIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> OverrideOut:
        """Names the alert of the decision; the justification needs at least 20 characters."""
        principal.require_admin()
        cmd = RequestOverride(
            admin_id=principal.id, alert_id=data.alert_id, justification=data.justification
        )
        return OverrideOut.of(await uc.platform.overrides.request(cmd))

    @post(
        "/{override_id:str}/approve",
        status_code=200,
        opt={OPT: True},
        summary="Approve an override (a second admin)",
    )
    async def approve(
        self, override_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> OverrideOut:
        """The requester cannot approve (422); the escrow's hold clears and its alert closes."""
        principal.require_admin()
        cmd = DecideOverride(admin_id=principal.id, override_id=override_id)
        return OverrideOut.of(await uc.platform.overrides.approve(cmd))

    @post(
        "/{override_id:str}/reject",
        status_code=200,
        opt={OPT: True},
        summary="Reject an override (a second admin)",
    )
    async def reject(
        self,
        override_id: FromPath[str],
        principal: PrincipalDep,
        uc: UseCasesDep,
        data: JSONBody[OverrideRejectionIn | None] = None,
    ) -> OverrideOut:
        principal.require_admin()
        reason = "" if data is None else data.reason
        cmd = DecideOverride(admin_id=principal.id, override_id=override_id, reason=reason)
        return OverrideOut.of(await uc.platform.overrides.reject(cmd))


class AdminListController(Controller):
    path = "/v1/admin/fraud/lists"
    tags = ("admin",)

    @get(summary="Entries in force on a list")
    async def entries(
        self,
        principal: PrincipalDep,
        uc: UseCasesDep,
        list_name: Annotated[ListName, QueryParameter(name="list")] = ListName.BLOCKLIST,
    ) -> ListEntryList:
        principal.require_staff()
        entries = await uc.platform.lists.active(principal.id, list_name)
        return ListEntryList(items=[ListEntryOut.of(e) for e in entries])

    @post(
        status_code=201, opt={OPT: True}, summary="Put an identifier on the blocklist or watchlist"
    )
    async def add(
        self, data: JSONBody[ListEntryIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> ListEntryOut:
        principal.require_admin()
        cmd = AddListEntry(
            admin_id=principal.id,
            list_name=data.list_name,
            kind=data.kind,
            value=data.value,
            reason=data.reason,
            expires_at=data.expires_at,
        )
        return ListEntryOut.of(await uc.platform.lists.add(cmd))

    @post(
        "/{entry_id:str}/remove",
        status_code=200,
        opt={OPT: True},
        summary="Stop an entry from applying (it is kept, marked removed)",
    )
    async def remove(
        self, entry_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> ListEntryOut:
        principal.require_admin()
        return ListEntryOut.of(await uc.platform.lists.remove(principal.id, entry_id))
