"""Escrows: unique by id and SPEI reference, found by payout and participant, due for jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from kustodia_adapters.sql.escrow_children import (
    insert_new_children,
    insert_participants,
    stored_footprint,
)
from kustodia_adapters.sql.footprints import NOTHING_STORED, EscrowFootprint
from kustodia_adapters.sql.mappers.escrows import escrow_from_row, escrow_values
from kustodia_adapters.sql.session import CurrentTransaction, SqlTransaction
from kustodia_adapters.sql.tables import escrow_participants, escrow_payouts, escrows
from kustodia_adapters.sql.versions import insert_first_version, update_from_version
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import CUSTODY, EscrowState
from kustodia_domain.ports.repositories import EscrowRepository
from kustodia_domain.shared.errors import NotFoundError

_UNFUNDED = (EscrowState.REQUESTED.value, EscrowState.AWAITING_FUNDS.value)
_IN_CUSTODY = tuple(sorted(state.value for state in CUSTODY))


class SqlEscrowRepository(EscrowRepository):
    """Reads are one statement; writes are the escrow row plus one insert per child table.

    ``save`` runs the optimistic ``UPDATE ... WHERE version = :read_at`` first, so the child
    rows it then inserts are computed against the exact version that was replaced.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, escrow: Escrow) -> None:
        transaction = self._transaction()
        await insert_first_version(transaction, escrows, escrow_values(escrow, version=1))
        await insert_participants(transaction, escrow)
        await insert_new_children(transaction, escrow, NOTHING_STORED)
        escrow.version = 1
        transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, 1)

    async def save(self, escrow: Escrow) -> None:
        transaction = self._transaction()
        read_at, version = escrow.version, escrow.version + 1
        values = escrow_values(escrow, version=version)
        await update_from_version(transaction, escrows, values, read_at=read_at, kind="escrow")
        before = transaction.escrow_footprints.get(escrow.id)
        if before is None or before.version != read_at:
            before = await stored_footprint(transaction, escrow.id)
        await insert_new_children(transaction, escrow, before)
        escrow.version = version
        transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, version)

    async def get(self, escrow_id: str) -> Escrow:
        found = await self._first(select(escrows).where(escrows.c.id == escrow_id))
        if found is None:
            raise NotFoundError("escrow", escrow_id)
        return found

    async def find_by_reference(self, reference: str) -> Escrow | None:
        return await self._first(select(escrows).where(escrows.c.reference == reference))

    async def find_by_payout(self, payout_id: str) -> Escrow | None:
        query = (
            select(escrows)
            .join(escrow_payouts, escrow_payouts.c.escrow_id == escrows.c.id)
            .where(escrow_payouts.c.payout_id == payout_id)
        )
        return await self._first(query)

    async def list_for_user(self, user_id: str, *, limit: int, offset: int) -> Sequence[Escrow]:
        mine = escrow_participants.c
        query = (
            select(escrows)
            .join(escrow_participants, mine.escrow_id == escrows.c.id)
            .where(mine.user_id == user_id)
            .order_by(mine.created_at.desc(), mine.escrow_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return await self._all(query)

    async def due_for_jobs(self, now: datetime) -> Sequence[str]:
        overdue_unfunded = and_(escrows.c.state.in_(_UNFUNDED), escrows.c.funding_deadline <= now)
        due: ColumnElement[bool] = or_(overdue_unfunded, escrows.c.state.in_(_IN_CUSTODY))
        query = select(escrows.c.id).where(due).order_by(escrows.c.created_at, escrows.c.id)
        return list((await self._transaction().execute(query)).scalars())

    async def _first(self, query: Select[Any]) -> Escrow | None:
        found = await self._all(query.limit(1))
        return found[0] if found else None

    async def _all(self, query: Select[Any]) -> list[Escrow]:
        transaction = self._transaction()
        rows = (await transaction.execute(query)).mappings()
        return [_remember(transaction, escrow_from_row(row)) for row in rows]


def _remember(transaction: SqlTransaction, escrow: Escrow) -> Escrow:
    transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, escrow.version)
    return escrow
