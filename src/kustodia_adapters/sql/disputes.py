"""Disputes by id and by party."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import bindparam, or_, select

from kustodia_adapters.sql.mappers.disputes import dispute_from_row, dispute_values
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import disputes
from kustodia_adapters.sql.versions import insert_first_version, update_from_version
from kustodia_domain.disputes.model import Dispute
from kustodia_domain.ports.repositories import DisputeRepository
from kustodia_domain.shared.errors import NotFoundError


class SqlDisputeRepository(DisputeRepository):
    """One statement per call."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, dispute: Dispute) -> None:
        values = dispute_values(dispute, version=1)
        await insert_first_version(self._transaction(), disputes, values)
        dispute.version = 1

    async def save(self, dispute: Dispute) -> None:
        values = dispute_values(dispute, version=dispute.version + 1)
        await update_from_version(
            self._transaction(), disputes, values, read_at=dispute.version, kind="dispute"
        )
        dispute.version += 1

    async def get(self, dispute_id: str) -> Dispute:
        result = await self._transaction().execute(_BY_ID, {"value": dispute_id})
        row = result.mappings().first()
        if row is None:
            raise NotFoundError("dispute", dispute_id)
        return dispute_from_row(row)

    async def list_for_user(self, user_id: str) -> Sequence[Dispute]:
        """The user's disputes as payer or payee, oldest first."""
        rows = (await self._transaction().execute(_FOR_USER, {"value": user_id})).mappings()
        return [dispute_from_row(row) for row in rows]


# Built once, the value bound at execution.
_BY_ID: Final = select(disputes).where(disputes.c.id == bindparam("value"))
_FOR_USER: Final = (
    select(disputes)
    .where(
        or_(disputes.c.payer_id == bindparam("value"), disputes.c.payee_id == bindparam("value"))
    )
    .order_by(disputes.c.opened_at, disputes.c.id)
)
