"""Use cases of the payout lifecycle: dispatch to the rail, confirmation, return, reissue.

Dispatch reads pending payout work, calls the rail *outside* any transaction with the payout's
idempotency key, then records the outcome in a new transaction. A crash between the two leaves
the outbox message pending: the next dispatch sends the same key and the rail answers with the
first receipt, so nothing is paid twice and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.payouts import PayoutStatus
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.payment_rail import PaymentRail, PayoutOrder, RailPayoutStatus
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.persistence import PAYOUT_TOPIC, persist_escrow
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ConflictError, NotFoundError


@attrs.frozen
class DispatchPayoutsHandler:
    """Sends up to ``limit`` pending payouts (skipping escrows on hold); returns how many were sent.

    Pending work of other topics and payouts held back never count toward ``limit``.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    rail: PaymentRail

    async def execute(self, limit: int = 100) -> int:
        async with self.uow() as uow:
            orders = await self._sendable(uow, limit)
        sent = 0
        for key, order in orders:
            receipt = await self.rail.send_payout(order)
            try:
                await self._record(
                    key,
                    order.payout_id,
                    receipt.rail_reference,
                    confirmed=receipt.status is RailPayoutStatus.CONFIRMED,
                )
            except ConflictError:
                continue  # another process recorded it; the rail's key kept it single
            sent += 1
        return sent

    async def _sendable(self, uow: UnitOfWork, limit: int) -> list[tuple[str, PayoutOrder]]:
        # Other topics and payouts of held escrows stay pending too; the window widens past
        # them so that they can never starve the payouts behind them.
        window = limit
        while True:
            messages = await uow.outbox.pending(window)
            orders: list[tuple[str, PayoutOrder]] = []
            for message in messages:
                order = await self._order(uow, message) if message.topic == PAYOUT_TOPIC else None
                if order is not None:
                    orders.append((message.key, order))
            if len(orders) >= limit or len(messages) < window:
                return orders[:limit]
            window *= 2

    @staticmethod
    async def _order(uow: UnitOfWork, message: OutboxMessage) -> PayoutOrder | None:
        escrow = await uow.escrows.get(str(message.payload["escrow_id"]))
        payout = escrow.payout(str(message.payload["payout_id"]))
        if escrow.state is EscrowState.ON_HOLD or payout.status is not PayoutStatus.PENDING:
            return None
        return PayoutOrder(
            payout_id=payout.id,
            idempotency_key=payout.idempotency_key,
            amount=payout.amount,
            destination=payout.destination,
            concept=f"Kustodia {escrow.reference} {payout.leg.value}",
        )

    async def _record(self, key: str, payout_id: str, reference: str, *, confirmed: bool) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, payout_id)
            escrow.mark_payout_sent(payout_id, now, reference)
            if confirmed:
                escrow.confirm_payout(payout_id, now)
            await persist_escrow(uow, escrow, self.ids)
            await uow.outbox.mark_dispatched(key, now)
            await uow.commit()


async def _escrow_of(uow: UnitOfWork, payout_id: str) -> Escrow:
    escrow = await uow.escrows.find_by_payout(payout_id)
    if escrow is None:
        raise NotFoundError("payout", payout_id)
    return escrow


@attrs.frozen(kw_only=True)
class PayoutNotice:
    """The rail's word on a payout (``confirmed`` or ``returned``)."""

    payout_id: str


@attrs.frozen
class ConfirmPayoutHandler:
    """Records a confirmed payout: money leaves the ledger.

    A settled escrow whose payouts are all confirmed completes. A repeated confirmation
    changes nothing.

    Raises: NotFoundError, PayoutStateError (e.g. a returned payout).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: PayoutNotice) -> Escrow:
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            escrow.confirm_payout(cmd.payout_id, self.clock.now())
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()
        return escrow


@attrs.frozen
class ReturnPayoutHandler:
    """Records a returned payout (devolución): the money is owed again.

    The escrow is flagged for review. A repeated return changes nothing.

    Raises: NotFoundError, PayoutStateError (a payout never sent).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: PayoutNotice) -> Escrow:
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            escrow.return_payout(cmd.payout_id, self.clock.now())
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()
        return escrow


@attrs.frozen(kw_only=True)
class ReissuePayout:
    """Send a returned payout again; ``destination`` defaults to the original one."""

    payout_id: str
    destination: str | None = None


@attrs.frozen
class ReissuePayoutHandler:
    """An admin reissues a returned payout as a new attempt with a new idempotency key.

    Raises: NotFoundError, PayoutStateError (not returned), ValidationError (bad CLABE).
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator

    async def execute(self, cmd: ReissuePayout) -> Escrow:
        async with self.uow() as uow:
            escrow = await _escrow_of(uow, cmd.payout_id)
            original = escrow.payout(cmd.payout_id)
            destination = Clabe(cmd.destination) if cmd.destination else original.destination
            escrow.reissue_payout(cmd.payout_id, destination, self.clock.now())
            await persist_escrow(uow, escrow, self.ids)
            await uow.commit()
        return escrow
