"""What the SPEI rail tells the platform: deposits and payout outcomes, each audited.

Signed webhooks and the sandbox's simulated deposits both come through here, so a simulated
deposit takes exactly the path of a real one.
"""

from __future__ import annotations

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.webhooks import WebhookReceipts
from kustodia_domain.services.audit_log import AuditLog
from kustodia_domain.services.payouts import (
    ConfirmPayoutHandler,
    PayoutNotice,
    ReturnPayoutHandler,
)
from kustodia_domain.services.record_deposit import (
    DepositOutcome,
    RecordDeposit,
    RecordDepositHandler,
)


@attrs.frozen
class RailEvents:
    """Applies the rail's notices; every one that changes something is audited (actor: system)."""

    clock: Clock
    receipts: WebhookReceipts
    audit: AuditLog
    record_deposit: RecordDepositHandler
    confirm_payout: ConfirmPayoutHandler
    return_payout: ReturnPayoutHandler

    async def first_delivery(self, signature: str) -> bool:
        """Whether this webhook signature is seen for the first time (replays are refused)."""
        return await self.receipts.first_seen(f"spei:{signature}", self.clock.now())

    async def deposit(self, cmd: RecordDeposit, *, source: str) -> DepositOutcome:
        """Record a deposit. Raises ValidationError (nothing recorded)."""
        outcome = await self.record_deposit.execute(cmd)
        if outcome is not DepositOutcome.DUPLICATE:
            await self.audit.record(
                actor_id=None,
                action=f"deposit.{outcome.value}",
                subject_type="deposit",
                subject_id=cmd.tracking_key,
                details={"reference": cmd.reference, "amount": cmd.amount_minor, "via": source},
            )
        return outcome

    async def payout_confirmed(self, payout_id: str) -> Escrow:
        """Raises NotFoundError, PayoutStateError."""
        escrow = await self.confirm_payout.execute(PayoutNotice(payout_id=payout_id))
        await self._payout("payout.confirmed", payout_id, escrow)
        return escrow

    async def payout_returned(self, payout_id: str) -> Escrow:
        """Raises NotFoundError, PayoutStateError."""
        escrow = await self.return_payout.execute(PayoutNotice(payout_id=payout_id))
        await self._payout("payout.returned", payout_id, escrow)
        return escrow

    async def _payout(self, action: str, payout_id: str, escrow: Escrow) -> None:
        await self.audit.record(
            actor_id=None,
            action=action,
            subject_type="payout",
            subject_id=payout_id,
            details={"escrow_id": escrow.id, "escrow_status": escrow.state.value},
        )
