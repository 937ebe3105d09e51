"""Sandbox only: simulated deposits, the test clock, simulated payout returns."""

from __future__ import annotations

import uuid
from datetime import timedelta

import attrs
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from kustodia_domain.escrow.errors import PayoutStateError
from kustodia_domain.ports.rail_statement import RailDeposit
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import Money
from kustodia_entrypoints.http.deps import PrincipalDep, ServicesDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.escrows import EscrowOut
from kustodia_entrypoints.http.schemas.rail import AdvanceIn, AdvanceOut, ClockOut, SandboxDepositIn
from kustodia_entrypoints.http.services import SandboxControls

SANDBOX_SOURCE_CLABE = "012180012345678909"
"""Where simulated deposits come from when the caller names no account."""
MAX_ADVANCE_SECONDS = 5 * 366 * 86_400


@attrs.frozen(kw_only=True)
class SandboxDepositOut:
    status: str
    tracking_key: str
    escrow: EscrowOut


def _controls(services: ServicesDep) -> SandboxControls:
    assert services.sandbox is not None  # noqa: S101 - the controller is only mounted with them
    return services.sandbox


async def _confirm_sent(uc: UseCases, sandbox: SandboxControls) -> int:
    """The simulated rail settles what it executed, through the webhook's own use case."""
    confirmed = 0
    for payout_id in sandbox.take_sent_payouts():
        try:
            await uc.platform.rail.payout_confirmed(payout_id)
        except PayoutStateError:
            continue  # returned meanwhile: a confirmation would be wrong
        confirmed += 1
    return confirmed


class SandboxController(Controller):
    path = "/v1/sandbox"
    tags = ("sandbox",)

    @post(
        "/deposits",
        status_code=201,
        opt={OPT: True},
        summary="Simulate a SPEI deposit to an escrow",
    )
    async def deposit(
        self,
        data: JSONBody[SandboxDepositIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
        services: ServicesDep,
    ) -> SandboxDepositOut:
        """Goes through the same use case as the signed webhook."""
        escrow = await uc.escrows.get(principal.viewer, data.escrow_id)
        tracking_key = f"SBX{uuid.uuid4().hex[:16].upper()}"
        sandbox = _controls(services)
        deposit = RecordDeposit(
            tracking_key=tracking_key,
            clabe=escrow.deposit_clabe.value,
            reference=escrow.reference,
            amount_minor=int(data.amount),
            currency=escrow.terms.amount.currency.code,
            source_clabe=data.sender_clabe or SANDBOX_SOURCE_CLABE,
            # The fraud rules compare the ordering holder with the payer's verified name.
            sender_name=data.sender_name or principal.user.full_name,
            received_at=sandbox.now(),
        )
        outcome = await uc.platform.rail.deposit(deposit, source="sandbox")
        # The simulated rail's statement lists the transfer, whatever the books made of it.
        sandbox.received(
            RailDeposit(
                tracking_key=tracking_key,
                clabe=deposit.clabe,
                reference=deposit.reference,
                amount=Money(
                    amount_minor=deposit.amount_minor, currency=escrow.terms.amount.currency
                ),
                received_at=deposit.received_at,
            )
        )
        escrow = await uc.escrows.get(principal.viewer, data.escrow_id)
        return SandboxDepositOut(
            status=outcome.value, tracking_key=tracking_key, escrow=EscrowOut.of(escrow)
        )

    @get("/clock", summary="The test clock")
    async def clock(self, principal: PrincipalDep, services: ServicesDep) -> ClockOut:
        return ClockOut(now=_controls(services).now())

    @post("/clock/advance", status_code=200, summary="Move the test clock and run what is then due")
    async def advance(
        self,
        data: JSONBody[AdvanceIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
        services: ServicesDep,
    ) -> AdvanceOut:
        """Move the test clock, then run what is due before answering.

        Due jobs (expiry, auto-release, reminders, yield), pending payouts, and the simulated
        rail's confirmations of them.
        """
        if not 0 < data.seconds <= MAX_ADVANCE_SECONDS:
            raise ValidationError(f"seconds must be 1-{MAX_ADVANCE_SECONDS}", field="seconds")
        sandbox = _controls(services)
        now = sandbox.advance(timedelta(seconds=int(data.seconds)))
        done = await uc.platform.operations.worker_pass(now)
        confirmed = await _confirm_sent(uc, sandbox)
        return AdvanceOut(
            now=now,
            released=done.jobs.released,
            expired=done.jobs.expired,
            reminded=done.jobs.reminded,
            payouts_sent=done.payouts_sent,
            payouts_confirmed=confirmed,
        )

    @post(
        "/payouts/{payout_id:str}/return",
        status_code=200,
        summary="Simulate a returned payout (admins)",
    )
    async def return_payout(
        self, payout_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> EscrowOut:
        principal.require_admin()
        return EscrowOut.of(await uc.platform.rail.payout_returned(payout_id))
