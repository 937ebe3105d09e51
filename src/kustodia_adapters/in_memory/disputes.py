"""Disputes by id and by party."""

from __future__ import annotations

from collections.abc import Sequence

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState, detached
from kustodia_adapters.in_memory.versions import fetch, insert, update
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.ports.repositories import DisputeRepository
from kustodia_domain.shared.errors import ConflictError


class InMemoryDisputeRepository(DisputeRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, dispute: Dispute) -> None:
        row = detached(dispute)

        def change(state: StoreState) -> None:
            if row.id in state.disputes:
                raise ConflictError(f"dispute {row.id} already exists")
            insert(state.disputes, row)

        self._transaction().write(change)
        dispute.version = 1

    async def save(self, dispute: Dispute) -> None:
        row = detached(dispute)
        self._transaction().write(lambda state: update(state.disputes, row, "dispute"))
        dispute.version += 1

    async def get(self, dispute_id: str) -> Dispute:
        return fetch(self._transaction().state.disputes, dispute_id, "dispute")

    async def list_for_user(self, user_id: str) -> Sequence[Dispute]:
        """The user's disputes as payer or payee, oldest first."""
        disputes = self._transaction().state.disputes.values()
        mine = [d for d in disputes if user_id in (d.payer_id, d.payee_id)]
        mine.sort(key=lambda d: (d.opened_at, d.id))
        return [detached(d) for d in mine]
