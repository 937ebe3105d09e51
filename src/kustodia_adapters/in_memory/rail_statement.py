"""The sandbox rail's statement: what ``InMemoryPaymentRail`` received and executed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_domain.ports.payment_rail import PayoutOrder
from kustodia_domain.ports.rail_statement import RailDeposit, RailPayout, RailStatementReader


class InMemoryRailStatement(RailStatementReader):
    """Reads the sandbox rail's own records, the way ``HttpRailStatement`` reads a provider's.

    Deposits are those the sandbox delivered (``InMemoryPaymentRail.receive``); payouts are those
    the rail executed, stamped by the rail's clock when sent and when settled.
    """

    def __init__(self, rail: InMemoryPaymentRail) -> None:
        self._rail = rail

    async def deposits(self, since: datetime, until: datetime) -> Sequence[RailDeposit]:
        found = [d for d in self._rail.received if since <= d.received_at < until]
        return sorted(found, key=lambda d: d.received_at)

    async def payouts(self, since: datetime, until: datetime) -> Sequence[RailPayout]:
        found: list[RailPayout] = []
        for order in self._rail.sent:
            payout = await self._record(order)
            if payout is not None and (
                since <= payout.created_at < until or since <= payout.updated_at < until
            ):
                found.append(payout)
        return sorted(found, key=lambda p: p.created_at)

    async def payout(self, payout_id: str) -> RailPayout | None:
        order = next((o for o in self._rail.sent if o.payout_id == payout_id), None)
        return None if order is None else await self._record(order)

    async def _record(self, order: PayoutOrder) -> RailPayout | None:
        receipt = self._rail.receipt(order.payout_id)
        times = self._rail.times.get(order.payout_id)
        if receipt is None or times is None:
            return None
        return RailPayout(
            payout_id=order.payout_id,
            rail_reference=receipt.rail_reference,
            amount=order.amount,
            status=await self._rail.payout_status(order.payout_id),
            created_at=times[0],
            updated_at=times[1],
        )
