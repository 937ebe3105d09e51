"""Escrows: open, list, read (with timeline and ledger), accept, cancel, approve, dispute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from kustodia_domain.escrow.errors import NotAPartyError
from kustodia_domain.escrow.events import RiskOverrideDecided, RiskOverrideRequested, RiskScreened
from kustodia_domain.services.dispute_commands import OpenDispute
from kustodia_domain.services.escrow_commands import ApproveRelease, EscrowCommand
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.principal import Principal
from kustodia_entrypoints.http.schemas.disputes import DisputeOut, OpenDisputeIn
from kustodia_entrypoints.http.schemas.escrows import (
    ApproveReleaseIn,
    CreateEscrowIn,
    EscrowOut,
    EscrowPage,
    EventList,
    EventOut,
    LedgerList,
    LedgerTransactionOut,
)

T = TypeVar("T")
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size")]
Offset = Annotated[int, QueryParameter(ge=0, description="Items to skip")]


async def party_action(
    uc: UseCases, principal: Principal, escrow_id: FromPath[str], action: Callable[[], Awaitable[T]]
) -> T:
    """Run a parties-only action; an admin (who may see the escrow) gets 403, not 404."""
    try:
        return await action()
    except NotFoundError:
        if not principal.is_admin:
            raise
        await uc.escrows.get(principal.viewer, escrow_id)
        raise NotAPartyError("only the escrow's parties may do this") from None


_STAFF_ONLY = (RiskScreened, RiskOverrideRequested, RiskOverrideDecided)


class EscrowController(Controller):
    path = "/v1/escrows"
    tags = ("escrows",)

    @post(status_code=201, opt={OPT: True}, summary="Open an escrow or a payment request")
    async def open_escrow(
        self, data: JSONBody[CreateEscrowIn], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        """``creator_role: payee`` makes a payment request (cobro) the payer must accept.

        The amount is integer minor units; the platform fee is added on top for the payer.
        """
        escrow = await uc.platform.party.open_escrow.execute(data.to_command(principal.id))
        return EscrowOut.of(escrow)

    @get(summary="The caller's escrows (as payer, payee or broker), newest first")
    async def list_escrows(
        self, principal: PrincipalDep, uc: UseCasesDep, limit: Limit = 20, offset: Offset = 0
    ) -> EscrowPage:
        escrows = await uc.escrows.list_mine(principal.viewer, limit=limit, offset=offset)
        return EscrowPage.of(escrows, limit, offset)

    @get("/{escrow_id:str}", summary="One escrow (parties, brokers and admins; else 404)")
    async def get_escrow(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        return EscrowOut.of(await uc.escrows.get(principal.viewer, escrow_id))

    @get("/{escrow_id:str}/events", summary="The escrow's timeline of domain events")
    async def events(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EventList:
        events = await uc.escrows.timeline(principal.viewer, escrow_id)
        # Which fraud rules fired, and how staff argued over them, is for staff: showing it to
        # users would teach evasion.
        shown = [e for e in events if principal.is_admin or not isinstance(e, _STAFF_ONLY)]
        return EventList(items=[EventOut.of(e) for e in shown])

    @get("/{escrow_id:str}/ledger", summary="Ledger transactions that touch this escrow")
    async def ledger(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> LedgerList:
        transactions = await uc.escrows.ledger(principal.viewer, escrow_id)
        return LedgerList(items=[LedgerTransactionOut.of(t) for t in transactions])

    @post(
        "/{escrow_id:str}/accept",
        status_code=200,
        opt={OPT: True},
        summary="Payer accepts a payment request",
    )
    async def accept(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        cmd = EscrowCommand(escrow_id=escrow_id, actor_id=UserId(principal.id))
        escrow = await party_action(
            uc, principal, escrow_id, lambda: uc.platform.party.accept_escrow.execute(cmd)
        )
        return EscrowOut.of(escrow)

    @post(
        "/{escrow_id:str}/cancel", status_code=200, opt={OPT: True}, summary="Cancel before funding"
    )
    async def cancel(
        self, escrow_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        """Deposits received so far go back to the accounts they came from."""
        cmd = EscrowCommand(escrow_id=escrow_id, actor_id=UserId(principal.id))
        escrow = await party_action(
            uc, principal, escrow_id, lambda: uc.platform.party.cancel_escrow.execute(cmd)
        )
        return EscrowOut.of(escrow)

    @post(
        "/{escrow_id:str}/approve-release",
        status_code=200,
        opt={OPT: True},
        summary="Approve release; releases when the kind's rule is met",
    )
    async def approve_release(
        self,
        escrow_id: FromPath[str],
        principal: PrincipalDep,
        uc: UseCasesDep,
        data: JSONBody[ApproveReleaseIn | None] = None,
    ) -> EscrowOut:
        """``standard``: the payer's approval releases. ``dual_approval``: both must approve."""
        cmd = ApproveRelease(
            escrow_id=escrow_id,
            actor_id=UserId(principal.id),
            milestone=None if data is None else data.milestone,
        )
        escrow = await party_action(
            uc, principal, escrow_id, lambda: uc.platform.party.approve_release.execute(cmd)
        )
        return EscrowOut.of(escrow)

    @post("/{escrow_id:str}/disputes", status_code=201, opt={OPT: True}, summary="Open a dispute")
    async def open_dispute(
        self,
        escrow_id: FromPath[str],
        data: JSONBody[OpenDisputeIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> DisputeOut:
        """Parties only, only while funded; release freezes at once."""
        cmd = OpenDispute(
            escrow_id=escrow_id,
            actor_id=UserId(principal.id),
            reason=data.reason,
            details=data.details,
        )
        dispute = await party_action(
            uc, principal, escrow_id, lambda: uc.platform.party.open_dispute.execute(cmd)
        )
        return DisputeOut.of(dispute)
