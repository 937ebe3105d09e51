"""Back-office reads over the committed aggregate tables: one query per call, nothing written.

Searches are served by indexes (``kustodia_adapters.sql.tables.admin_search`` and the tables'
own). The analytics reads (every escrow's summary, ledger credits, screening outcomes) scan
what they total on purpose: an index on postings or events would tax the hottest writes for
reads an operator runs now and then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.escrows import escrow_from_row
from kustodia_adapters.sql.mappers.users import user_from_row
from kustodia_adapters.sql.tables import (
    escrow_participants,
    escrows,
    events,
    ledger_postings,
    ledger_transactions,
    users,
)
from kustodia_domain.escrow.events import RiskScreened
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.identity.model import User
from kustodia_domain.ledger.accounts import AccountKind
from kustodia_domain.ports.back_office import BackOfficeReads, EscrowFilter, EscrowSummary
from kustodia_domain.shared.money import Currency, Money

_e = escrows.c
_p = escrow_participants.c
_LIKE_ESCAPE = "/"


def _contains(text: str) -> str:
    """A ``LIKE`` pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = "".join(f"{_LIKE_ESCAPE}{ch}" if ch in f"%_{_LIKE_ESCAPE}" else ch for ch in text)
    return f"%{escaped}%"


def _escrow_criteria(criteria: EscrowFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if criteria.status is not None:
        where.append(_e.state == criteria.status.value)
    if criteria.reference is not None:
        where.append(_e.reference == criteria.reference)
    if criteria.kind is not None:
        where.append(_e.kind == criteria.kind.value)
    if criteria.needs_review is not None:
        # Written bare, so that "awaiting review" matches the partial index's predicate.
        where.append(_e.needs_review if criteria.needs_review else not_(_e.needs_review))
    if criteria.created_from is not None:
        where.append(_e.created_at >= criteria.created_from)
    if criteria.created_to is not None:
        where.append(_e.created_at < criteria.created_to)
    return where


class SqlBackOfficeReads(BackOfficeReads):
    """Reads what is committed, each call on a connection of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search_escrows(self, criteria: EscrowFilter) -> Sequence[Escrow]:
        """Newest first (ties by id, descending)."""
        query: Select[Any] = select(escrows).where(*_escrow_criteria(criteria))
        if criteria.party_id is None:
            query = query.order_by(_e.created_at.desc(), _e.id.desc())
        else:
            # A participant row carries its escrow's creation time: one range of its index.
            query = (
                query.join(escrow_participants, _p.escrow_id == _e.id)
                .where(_p.user_id == criteria.party_id)
                .order_by(_p.created_at.desc(), _p.escrow_id.desc())
            )
        rows = await self._rows(query.limit(criteria.limit).offset(criteria.offset))
        return [escrow_from_row(row) for row in rows]

    async def escrow_summaries(self) -> Sequence[EscrowSummary]:
        """Oldest first."""
        query = select(
            _e.id,
            _e.state,
            _e.currency,
            _e.amount_minor,
            _e.fee_minor,
            _e.created_at,
            _e.funded_at,
            _e.settled_at,
            _e.dispute_id,
        ).order_by(_e.created_at, _e.id)
        summaries = []
        for row in await self._rows(query):
            currency = Currency.of(row["currency"])
            summaries.append(
                EscrowSummary(
                    id=row["id"],
                    state=EscrowState(row["state"]),
                    amount=Money(row["amount_minor"], currency),
                    fee=Money(row["fee_minor"], currency),
                    created_at=row["created_at"],
                    funded_at=row["funded_at"],
                    settled_at=row["settled_at"],
                    disputed=row["dispute_id"] is not None,
                )
            )
        return summaries

    async def search_users(self, *, text: str | None, limit: int, offset: int) -> Sequence[User]:
        """Case-insensitive on the name as the database folds case (SQLite: ASCII letters)."""
        query = select(users).order_by(users.c.created_at, users.c.id)
        needle = (text or "").strip().lower()
        if needle:
            pattern = _contains(needle)
            query = query.where(
                or_(
                    # E-mails are stored lower-case; both columns have a trigram index.
                    users.c.email.like(pattern, escape=_LIKE_ESCAPE),
                    users.c.full_name.ilike(pattern, escape=_LIKE_ESCAPE),
                )
            )
        rows = await self._rows(query.limit(limit).offset(offset))
        return [user_from_row(row) for row in rows]

    async def ledger_credits(
        self, kind: AccountKind, descriptions: frozenset[str]
    ) -> Mapping[str, int]:
        if not descriptions:
            return {}
        postings = ledger_postings.c
        credited = cast(func.sum(-postings.amount_minor), BigInteger)
        query = (
            select(postings.currency, credited.label("credited"))
            .join(ledger_transactions, ledger_transactions.c.id == postings.transaction_id)
            .where(
                postings.account_kind == kind.value,
                # Debit-positive amounts: a credit is a negative posting.
                postings.amount_minor < 0,
                ledger_transactions.c.description.in_(sorted(descriptions)),
            )
            .group_by(postings.currency)
        )
        return {row["currency"]: row["credited"] for row in await self._rows(query)}

    async def screening_outcomes(self) -> Mapping[str, int]:
        outcome = events.c.payload["outcome"].as_string()
        query = (
            select(outcome.label("outcome"), func.count().label("decisions"))
            .where(events.c.type == RiskScreened.__name__)
            .group_by(outcome)
        )
        return {row["outcome"]: row["decisions"] for row in await self._rows(query)}

    async def _rows(self, query: Select[Any]) -> list[Any]:
        async with self._engine.connect() as connection:
            return list((await connection.execute(query)).mappings())
