"""Party histories counted in SQL from the committed users, escrows and disputes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.tables import disputes, escrow_participants, escrows, users
from kustodia_domain.disputes.assessment import PartyHistory
from kustodia_domain.ports.assessor import PartyHistoryReader
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_d = disputes.c


def _count(*where: ColumnElement[bool]) -> Any:
    return select(func.count()).select_from(disputes).where(*where).scalar_subquery()


class SqlPartyHistoryReader(PartyHistoryReader):
    """One statement per history; counts only what happened strictly before ``as_of``.

    Strictly: asked as of the moment a dispute was opened, that dispute is not yet history.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def history(self, user_id: str, as_of: datetime) -> PartyHistory:
        """Raises ``NotFoundError`` for an unknown user."""
        as_of = ensure_utc(as_of, field="as_of")
        mine = and_(or_(_d.payer_id == user_id, _d.payee_id == user_id), _d.opened_at < as_of)
        decided = and_(mine, _d.status == "resolved", _d.resolution_proposed_at < as_of)
        # A release is the payee's win, a refund the payer's; a split is nobody's.
        won = or_(
            and_(_d.resolution == "release", _d.payee_id == user_id),
            and_(_d.resolution == "refund", _d.payer_id == user_id),
        )
        lost = or_(
            and_(_d.resolution == "release", _d.payer_id == user_id),
            and_(_d.resolution == "refund", _d.payee_id == user_id),
        )
        completed = (
            select(func.count())
            .select_from(escrow_participants)
            .join(escrows, escrows.c.id == escrow_participants.c.escrow_id)
            .where(
                escrow_participants.c.user_id == user_id,
                escrow_participants.c.role.in_(("payer", "payee")),
                escrows.c.state == "completed",
                # Completed is terminal and only transitions move updated_at.
                escrows.c.updated_at < as_of,
            )
            .scalar_subquery()
        )
        query = select(
            users.c.created_at,
            users.c.kyc_level,
            completed.label("completed"),
            _count(mine, _d.opened_by == user_id).label("opened"),
            _count(decided, won).label("won"),
            _count(decided, lost).label("lost"),
        ).where(users.c.id == user_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        if row is None:
            raise NotFoundError("user", user_id)
        return PartyHistory(
            account_age_days=max((as_of - row["created_at"]).days, 0),
            escrows_completed=row["completed"],
            disputes_opened=row["opened"],
            disputes_won=row["won"],
            disputes_lost=row["lost"],
            kyc_level=row["kyc_level"],
        )
