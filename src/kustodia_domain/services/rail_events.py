"""What the SPEI rail tells the platform: deposits and payout outcomes, each audited.

Signed webhooks and the sandbox's simulated deposits both come through here, so a simulated
deposit takes exactly the path of a real one.

A signed notice counts as consumed only once its effect committed: the edge asks
:meth:`RailEvents.delivery` (reads only), applies the notice, and only then calls
:meth:`RailEvents.consumed`. A delivery that failed therefore leaves no receipt, and the rail's
retry of the very same signed request is applied.
"""

from __future__ import annotations

from enum import StrEnum

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


class Delivery(StrEnum):
    """What the receipts say of a signed notice before it is applied."""

    NEW = "new"
    """Neither this signature nor this event was consumed: apply it."""
    REPLAYED = "replayed"
    """This very signed request was consumed already: refused, changes nothing."""
    DUPLICATE = "duplicate"
    """The event was consumed under another signature (a re-signed redelivery): acknowledged,
    not applied or audited again."""


def _signature_key(signature: str) -> str:
    return f"spei:{signature}"


def _event_key(event_id: str) -> str:
    # Its own prefix: an event id can never collide with a signature's key.
    return f"spei-event:{event_id}"


@attrs.frozen
class RailEvents:
    """Applies the rail's notices; every one that changes something is audited (actor: system)."""

    clock: Clock
    receipts: WebhookReceipts
    audit: AuditLog
    record_deposit: RecordDepositHandler
    confirm_payout: ConfirmPayoutHandler
    return_payout: ReturnPayoutHandler

    async def delivery(self, signature: str, event_id: str) -> Delivery:
        """Whether the notice ``event_id``, signed ``signature``, was consumed already.

        Reads only: asking records nothing, so it is safe before the notice is applied. A
        delivery whose processing failed was never recorded (see :meth:`consumed`), so the
        rail's retry of it is ``NEW``.
        """
        if await self.receipts.seen(_signature_key(signature)):
            return Delivery.REPLAYED
        if await self.receipts.seen(_event_key(event_id)):
            return Delivery.DUPLICATE
        return Delivery.NEW

    async def consumed(self, signature: str, event_id: str) -> None:
        """Record the notice as consumed. Call only after its effect (and audit) committed.

        Never earlier: a receipt recorded before a failed apply would refuse the rail's retries
        and lose the money they report. Recording after the effect leaves a window (a crash, or
        two concurrent deliveries that both asked :meth:`delivery` before either recorded) in
        which the notice is applied again. That is harmless because every effect is idempotent:

        - a deposit is keyed by its tracking key: ``RecordDepositHandler`` answers ``DUPLICATE``
          for a key already on the escrow or in suspense, and the ledger refuses a second
          ``deposit:<tracking key>`` transaction; a duplicate is not audited;
        - ``confirm_payout`` and ``return_payout`` leave a payout already in that state alone
          and audit nothing then, and a return is screened once per payout attempt (event
          ``rke-<payout>-returned``).

        Each effect's audit record is committed with it, so a retry after a failure that came
        after the commit neither applies nor audits it again.
        """
        now = self.clock.now()
        # The event first: it is what stops a re-signed redelivery from being applied again.
        await self.receipts.first_seen(_event_key(event_id), now)
        await self.receipts.first_seen(_signature_key(signature), now)

    async def deposit(self, cmd: RecordDeposit, *, source: str) -> DepositOutcome:
        """Record a deposit reported through ``source``.

        Raises:
            ValidationError: nothing is recorded.
        """
        outcome = await self.record_deposit.execute(attrs.evolve(cmd, via=source))
        await self.audit.chain_after_commit()
        return outcome

    async def payout_confirmed(self, payout_id: str) -> Escrow:
        """Raises NotFoundError, PayoutStateError."""
        escrow = await self.confirm_payout.execute(PayoutNotice(payout_id=payout_id))
        await self.audit.chain_after_commit()
        return escrow

    async def payout_returned(self, payout_id: str) -> Escrow:
        """Raises NotFoundError, PayoutStateError."""
        escrow = await self.return_payout.execute(PayoutNotice(payout_id=payout_id))
        await self.audit.chain_after_commit()
        return escrow
