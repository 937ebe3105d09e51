"""Sending pending payouts to the rail, each screened just before the money leaves.

Dispatch claims payout work under a lease (:mod:`~kustodia_domain.services.outbox_work`), so
two workers never send the same payout at once; it calls the rail *outside* any transaction
with the payout's idempotency key, then records the outcome and completes the message in a new
transaction. A crash between the two leaves the message leased until its lease expires: the
next claim sends the same key and the rail answers with the first receipt, so nothing is paid
twice and nothing is lost. A failed call (a rail error or anything else) fails the message alone
(retried with backoff, dead after the last attempt); the rest of the batch goes on. An escrow
put on hold while the pass runs stops its payouts not yet sent: its state is read again right
before each call.

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
from kustodia_domain.ports.outbox import ClaimedMessage, OutboxMessage
from kustodia_domain.ports.payment_rail import PaymentRail, PayoutOrder, RailPayoutStatus
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.outbox_work import (
    DEFAULT_WORKER,
    RetryPolicy,
    claim,
    fail,
    reason,
    release,
)
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
    claim: ClaimedMessage
    escrow_id: str
    order: PayoutOrder
    screening: Screening | None

    @property
    def key(self) -> str:
        return self.claim.key


@attrs.define
class _Batch:
    ready: list[_Ready] = attrs.field(factory=list)
    stopped: dict[str, tuple[str, Screening]] = attrs.field(factory=dict)
    parked: list[ClaimedMessage] = attrs.field(factory=list)
    """Claims of payouts not sendable yet (escrow on hold, screening stopped): released later."""


@attrs.frozen
class DispatchPayoutsHandler:
    """Sends up to ``limit`` pending payouts (skipping escrows on hold); returns how many were sent.

    Pending work of other topics and payouts held back never count toward ``limit``.
    ``worker_id`` names the lease holder.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail
    risk: RiskGate
    policy: RetryPolicy = attrs.field(factory=RetryPolicy, kw_only=True)

    async def execute(self, limit: int = 100, *, worker_id: str = DEFAULT_WORKER) -> int:
        async with self.risk.session() as risk:
            batch = await self._claim(risk, limit, worker_id)
            held = {e for e, screening in batch.stopped.values() if await self._stop(e, screening)}
            sent = 0
            for item in batch.ready:
                if item.escrow_id in held or await self._held_now(item.escrow_id):
                    batch.parked.append(item.claim)  # held since it was claimed
                    continue
                sent += await self._send(item)
            # Not an attempt, and claimable again at once: a cleared hold pays at the next pass.
            for parked in batch.parked:
                await release(self.uow, parked, None)
        return sent

    async def _send(self, item: _Ready) -> int:
        """Send one payout and record it; returns 1 if it was sent and recorded, else 0.

        Whatever goes wrong stays with this payout: the rest of the batch goes on.
        """
        try:
            receipt = await self.rail.send_payout(item.order)
        except Exception as error:  # any failure of the call is this payout's
            # The rail's own errors, and anything else its client lets through (a response it
            # cannot decode, a bug): a failed attempt, retried with backoff and dead after the
            # last one, so one payout never holds back the batch or loops forever unrecorded.
            await fail(self.uow, item.claim, reason(error), self.policy, self.clock.now())
            return 0
        try:
            await self._record(
                item, receipt.rail_reference, confirmed=receipt.status is RailPayoutStatus.CONFIRMED
            )
        except ConflictError:
            # The escrow changed meanwhile (or another process recorded the payout): the next
            # claim sends the same key again, and the rail keeps it single.
            await release(self.uow, item.claim, None)
            return 0
        return 1

    async def _held_now(self, escrow_id: str) -> bool:
        """Whether the escrow is on hold now: a hold placed during the pass stops its payouts.

        Checked right before each rail call, since a batch's calls run one after another and
        may take minutes; a hold that lands after this read and before the call is too late
        for this payout, as it would be for any payout already on its way.
        """
        async with self.uow() as uow:
            escrow = await uow.escrows.get(escrow_id)
        return escrow.state is EscrowState.ON_HOLD

    async def _claim(self, risk: RiskSession, limit: int, worker_id: str) -> _Batch:
        # Payouts that cannot go yet stay leased until the end of the pass, so claiming goes
        # on past them: they never starve the payouts behind them.
        batch = _Batch()
        screened: dict[str, Screening | None] = {}
        while len(batch.ready) < limit:
            now = self.clock.now()
            claimed = await claim(
                self.uow, (PAYOUT_TOPIC,), limit - len(batch.ready), worker_id, self.policy, now
            )
            if not claimed:
                return batch
            async with self.uow() as uow:
                for item in claimed:
                    try:
                        found = await _pending(uow, item.message)
                    except NotFoundError as error:
                        await uow.outbox.fail(
                            item, now, reason(error), self.policy.retry_at(item.attempts, now)
                        )
                        continue
                    if found is None:
                        await uow.outbox.complete(item.key, now)  # sent or settled already
                        continue
                    escrow, payout = found
                    if escrow.state is EscrowState.ON_HOLD:
                        batch.parked.append(item)
                        continue
                    if payout.id not in screened:
                        screened[payout.id] = await _screen(risk, escrow, payout, self.clock)
                    screening = screened[payout.id]
                    if screening is not None and (screening.holds or screening.blocks):
                        batch.stopped[payout.id] = (escrow.id, screening)
                        batch.parked.append(item)
                        continue
                    batch.ready.append(
                        _Ready(
                            claim=item,
                            escrow_id=escrow.id,
                            order=_order(escrow, payout),
                            screening=screening,
                        )
                    )
                await uow.commit()
        return batch

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
            await uow.outbox.complete(item.key, now)
            await uow.commit()


async def _pending(uow: UnitOfWork, message: OutboxMessage) -> tuple[Escrow, Payout] | None:
    """The escrow and its payout still to send; ``None`` once the payout is no longer pending.

    Raises:
        NotFoundError: the escrow or the payout is not there.
    """
    escrow = await uow.escrows.get(str(message.payload["escrow_id"]))
    payout = escrow.payout(str(message.payload["payout_id"]))
    if payout.status is not PayoutStatus.PENDING:
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
