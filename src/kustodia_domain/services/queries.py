"""Read-side use cases: what a user may see of escrows, disputes and notifications."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.ports.notifications import Notification
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.access import visible_dispute, visible_escrow
from kustodia_domain.shared.events import DomainEvent

MAX_PAGE = 100


@attrs.frozen(kw_only=True)
class Viewer:
    """Who is asking."""

    user_id: str
    is_admin: bool = False


@attrs.frozen
class EscrowQueries:
    """Escrows, their timelines and ledger postings, for parties, brokers and admins only.

    Every method raises ``NotFoundError`` for an escrow the viewer may not see.
    """

    uow: Callable[[], UnitOfWork]

    async def get(self, viewer: Viewer, escrow_id: str) -> Escrow:
        async with self.uow() as uow:
            return await visible_escrow(uow, escrow_id, viewer.user_id, is_admin=viewer.is_admin)

    async def list_mine(
        self, viewer: Viewer, *, limit: int = 20, offset: int = 0
    ) -> Sequence[Escrow]:
        async with self.uow() as uow:
            return await uow.escrows.list_for_user(
                viewer.user_id, limit=min(limit, MAX_PAGE), offset=max(offset, 0)
            )

    async def timeline(self, viewer: Viewer, escrow_id: str) -> Sequence[DomainEvent]:
        async with self.uow() as uow:
            await visible_escrow(uow, escrow_id, viewer.user_id, is_admin=viewer.is_admin)
            return await uow.events.for_aggregate(escrow_id)

    async def ledger(self, viewer: Viewer, escrow_id: str) -> Sequence[LedgerTransaction]:
        async with self.uow() as uow:
            await visible_escrow(uow, escrow_id, viewer.user_id, is_admin=viewer.is_admin)
            return await uow.ledger.transactions_for_escrow(escrow_id)


@attrs.frozen
class DisputeQueries:
    """Disputes for their parties and admins only (``NotFoundError`` otherwise)."""

    uow: Callable[[], UnitOfWork]

    async def get(self, viewer: Viewer, dispute_id: str) -> Dispute:
        async with self.uow() as uow:
            return await visible_dispute(uow, dispute_id, viewer.user_id, is_admin=viewer.is_admin)


@attrs.frozen
class NotificationQueries:
    """A user's own notifications."""

    uow: Callable[[], UnitOfWork]

    async def mine(self, viewer: Viewer, *, limit: int = 50) -> Sequence[Notification]:
        async with self.uow() as uow:
            return await uow.notifications.list_for_user(viewer.user_id, limit=min(limit, MAX_PAGE))
