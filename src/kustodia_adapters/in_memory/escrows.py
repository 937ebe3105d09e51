"""Escrows, unique by id and by SPEI reference, and the queries the product makes of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState, detached
from kustodia_adapters.in_memory.versions import fetch, insert, update
from kustodia_domain.escrow.due import DueWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.repositories import EscrowRepository
from kustodia_domain.shared.errors import ConflictError


def _check_unique(state: StoreState, escrow: Escrow) -> None:
    owner = state.escrow_by_reference.get(escrow.reference)
    if owner is not None and owner != escrow.id:
        raise ConflictError(f"reference {escrow.reference} is already in use")


def _index(state: StoreState, escrow: Escrow) -> None:
    # Indexes are maintained on write so lookups stay O(1) however many escrows are stored.
    state.escrow_by_reference[escrow.reference] = escrow.id
    for payout in escrow.payouts:
        state.escrow_by_payout[payout.id] = escrow.id


class InMemoryEscrowRepository(EscrowRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, escrow: Escrow) -> None:
        row = detached(escrow)

        def change(state: StoreState) -> None:
            if row.id in state.escrows:
                raise ConflictError(f"escrow {row.id} already exists")
            _check_unique(state, row)
            insert(state.escrows, row)
            _index(state, row)

        self._transaction().write(change)
        escrow.version = 1

    async def save(self, escrow: Escrow) -> None:
        row = detached(escrow)

        def change(state: StoreState) -> None:
            _check_unique(state, row)
            update(state.escrows, row, "escrow")
            _index(state, row)

        self._transaction().write(change)
        escrow.version += 1

    async def get(self, escrow_id: str) -> Escrow:
        return fetch(self._escrows(), escrow_id, "escrow")

    async def find_by_reference(self, reference: str) -> Escrow | None:
        return self._by_id(self._transaction().state.escrow_by_reference.get(reference))

    async def find_by_payout(self, payout_id: str) -> Escrow | None:
        return self._by_id(self._transaction().state.escrow_by_payout.get(payout_id))

    async def list_for_user(self, user_id: str, *, limit: int, offset: int) -> Sequence[Escrow]:
        mine = [e for e in self._escrows().values() if e.involves(user_id)]
        mine.sort(key=lambda e: (e.created_at, e.id), reverse=True)
        return [detached(e) for e in mine[offset : offset + limit]]

    async def due_for_jobs(
        self, work: DueWork, *, limit: int, after: str | None = None
    ) -> Sequence[str]:
        escrows = self._escrows()
        due = sorted((e for e in escrows.values() if work.includes(e)), key=_oldest_first)
        if after is not None:
            last = escrows.get(after)
            if last is None:
                return []
            due = [e for e in due if _oldest_first(e) > _oldest_first(last)]
        return [e.id for e in due[:limit]]

    def _escrows(self) -> dict[str, Escrow]:
        return self._transaction().state.escrows

    def _by_id(self, escrow_id: str | None) -> Escrow | None:
        escrow = None if escrow_id is None else self._escrows().get(escrow_id)
        return None if escrow is None else detached(escrow)


def _oldest_first(escrow: Escrow) -> tuple[datetime, str]:
    """The order ``due_for_jobs`` lists and pages in."""
    return escrow.created_at, escrow.id
