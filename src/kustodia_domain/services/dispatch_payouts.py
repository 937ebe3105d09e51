"""Sending pending payouts to the rail, each screened just before the money leaves.

Dispatch reads pending payout work, calls the rail *outside* any transaction with the payout's
idempotency key, then records the outcome in a new transaction. A crash between the two leaves
the outbox message pending: the next dispatch sends the same key and the rail answers with the
first receipt, so nothing is paid twice and nothing is lost.

Every payout to a user is screened (``payout``; money going back to the payer is a ``refund``)
under an event id derived from the payout, so the passes that find it still pending get the
decision recorded the first time instead of piling up new events. A ``hold`` holds a funded
escrow; any other stop (a ``block``, or a ``hold`` of an escrow already settled) leaves the
payout pending and flags the escrow, until an approved override lifts the decision.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import Payout, PayoutLeg, PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.screening import FactValue
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.payment_rail import PaymentRail, PayoutOrder, RailPayoutStatus
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.persistence import PAYOUT_TOPIC, persist_escrow
from kustodia_domain.services.risk_gate import RiskGate, RiskSession, apply, record
from kustodia_domain.services.risk_screening import Screening
from kustodia_domain.shared.errors import ConflictError, NotFoundError

REFUND_LEGS = frozenset(
    {PayoutLeg.REFUND, PayoutLeg.EXCESS_REFUND, PayoutLeg.BOUNCE, PayoutLeg.PAYER_YIELD}
)
"""Legs that return money to the payer's own account: screened as ``refund``."""


def payout_event(escrow: Escrow, payout: Payout) -> tuple[str, dict[str, FactValue]] | None:
    """The kind and attributes a payout is screened with; ``None`` for the platform's own legs."""
    if payout.beneficiary_id is None:
        return None  # fees and the platform's yield go to its own treasury account
    destination = payout.destination.value
    if payout.leg in REFUND_LEGS:
        return "refund", {
            "payer_id": escrow.payer_id,
            "payee_id": escrow.payee_id,
            "destination_clabe": destination,
        }
    return "payout", {
        "payee_id": payout.beneficiary_id,
        "escrow_kind": escrow.kind.value,
        "destination_clabe": destination,
    }


@attrs.frozen(kw_only=True)
class _Ready:
    key: str
    escrow_id: str
    order: PayoutOrder
    screening: Screening | None


@attrs.frozen
class DispatchPayoutsHandler:
    """Sends up to ``limit`` pending payouts (skipping escrows on hold); returns how many were sent.

    Pending work of other topics and payouts held back never count toward ``limit``.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail
    risk: RiskGate

    async def execute(self, limit: int = 100) -> int:
        async with self.risk.session() as risk:
            async with self.uow() as uow:
                ready, stopped = await self._sendable(uow, risk, limit)
            held = {e for e, screening in stopped if await self._stop(e, screening)}
            sent = 0
            for item in ready:
                if item.escrow_id in held:
                    continue  # held by another of its payouts' screening a moment ago
                receipt = await self.rail.send_payout(item.order)
                try:
                    await self._record(
                        item,
                        receipt.rail_reference,
                        confirmed=receipt.status is RailPayoutStatus.CONFIRMED,
                    )
                except ConflictError:
                    continue  # another process recorded it; the rail's key kept it single
                sent += 1
        return sent

    async def _sendable(
        self, uow: UnitOfWork, risk: RiskSession, limit: int
    ) -> tuple[list[_Ready], list[tuple[str, Screening]]]:
        # Other topics and payouts of held escrows stay pending too; the window widens past
        # them so that they can never starve the payouts behind them.
        window = limit
        screened: dict[str, Screening | None] = {}
        while True:
            messages = await uow.outbox.pending(window)
            ready: list[_Ready] = []
            stopped: dict[str, tuple[str, Screening]] = {}
            for message in messages:
                found = await _pending(uow, message)
                if found is None:
                    continue
                escrow, payout = found
                if payout.id not in screened:
                    screened[payout.id] = await _screen(risk, escrow, payout, self.clock)
                screening = screened[payout.id]
                if screening is not None and (screening.holds or screening.blocks):
                    stopped[payout.id] = (escrow.id, screening)
                    continue
                ready.append(
                    _Ready(
                        key=message.key,
                        escrow_id=escrow.id,
                        order=_order(escrow, payout),
                        screening=screening,
                    )
                )
            if len(ready) >= limit or len(messages) < window:
                return ready[:limit], list(stopped.values())
            window *= 2

    async def _stop(self, escrow_id: str, screening: Screening) -> bool:
        """Hold or flag the escrow of a stopped payout; returns whether it is now on hold."""
        now = self.clock.now()
        kind = screening.event.kind
        try:
            async with self.uow() as uow:
                escrow = await uow.escrows.get(escrow_id)
                if escrow.state is EscrowState.ON_HOLD:
                    return True
                held = screening.holds and escrow.state is EscrowState.FUNDED
                if held:
                    apply(escrow, screening, kind, now)
                else:
                    reason = (
                        f"{kind} stopped by risk screening ({screening.event.event_id}): "
                        + ", ".join(screening.decision.reasons)
                    )
                    if not escrow.flag_for_review(reason, now):
                        return False  # an earlier pass already stopped it
                    record(escrow, screening, kind, now)
                await persist_escrow(uow, escrow, self.ids)
                await uow.commit()
        except ConflictError:
            # The escrow changed meanwhile: the next pass screens this payout again; until then
            # a hold keeps its siblings back too, as the hold would have.
            return screening.holds
        return held

    async def _record(self, item: _Ready, reference: str, *, confirmed: bool) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, item.order.payout_id)
            if item.screening is not None:
                record(escrow, item.screening, item.screening.event.kind, now)
            escrow.mark_payout_sent(item.order.payout_id, now, reference)
            if confirmed:
                escrow.confirm_payout(item.order.payout_id, now)
            await persist_escrow(uow, escrow, self.ids)
            await uow.outbox.mark_dispatched(item.key, now)
            await uow.commit()


async def _pending(uow: UnitOfWork, message: OutboxMessage) -> tuple[Escrow, Payout] | None:
    if message.topic != PAYOUT_TOPIC:
        return None
    escrow = await uow.escrows.get(str(message.payload["escrow_id"]))
    payout = escrow.payout(str(message.payload["payout_id"]))
    if escrow.state is EscrowState.ON_HOLD or payout.status is not PayoutStatus.PENDING:
        return None
    return escrow, payout


async def _screen(
    risk: RiskSession, escrow: Escrow, payout: Payout, clock: Clock
) -> Screening | None:
    described = payout_event(escrow, payout)
    if described is None:
        return None
    kind, attributes = described
    return await risk.screen(
        kind,
        actor_id=None,
        at=clock.now(),
        escrow_id=escrow.id,
        amount=payout.amount,
        attributes=attributes,
        event_id=f"rke-{payout.id}",
    )


def _order(escrow: Escrow, payout: Payout) -> PayoutOrder:
    return PayoutOrder(
        payout_id=payout.id,
        idempotency_key=payout.idempotency_key,
        amount=payout.amount,
        destination=payout.destination,
        concept=f"Kustodia {escrow.reference} {payout.leg.value}",
    )


async def _escrow_of(uow: UnitOfWork, payout_id: str) -> Escrow:
    escrow = await uow.escrows.find_by_payout(payout_id)
    if escrow is None:
        raise NotFoundError("payout", payout_id)
    return escrow
