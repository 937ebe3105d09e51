"""Escrows: unique by id and SPEI reference, found by payout and participant, due for jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)

from kustodia_adapters.sql.direct import DirectStatement
from kustodia_adapters.sql.escrow_children import (
    queue_new_children,
    queue_participants,
    stored_footprint,
)
from kustodia_adapters.sql.footprints import NOTHING_STORED, EscrowFootprint
from kustodia_adapters.sql.mappers import Row
from kustodia_adapters.sql.mappers.escrows import escrow_from_row, escrow_values
from kustodia_adapters.sql.session import CurrentTransaction, LedgerRead, SqlTransaction
from kustodia_adapters.sql.tables import (
    escrow_participants,
    escrow_payouts,
    escrows,
    ledger_balances,
    ledger_transactions,
    users,
)
from kustodia_adapters.sql.versions import VersionedUpdate, insert_first_version
from kustodia_adapters.sql.write_behind import flush, update_from_read_version
from kustodia_domain.escrow.due import UNFUNDED, DueWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import CUSTODY, EscrowState
from kustodia_domain.ledger.accounts import Account, AccountKind
from kustodia_domain.ports.repositories import EscrowRepository
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError

_UNFUNDED = tuple(sorted(state.value for state in UNFUNDED))
_IN_CUSTODY = tuple(sorted(state.value for state in CUSTODY))


class SqlEscrowRepository(EscrowRepository):
    """Reads are one statement; writes wait for the unit's flush (write-behind).

    ``save`` is the optimistic ``UPDATE ... WHERE version = :read_at``; the child rows it
    queues are computed against the exact version it replaces. On PostgreSQL the escrow's own
    row waits too, and goes out in the flush's single statement
    (:mod:`kustodia_adapters.sql.write_behind`); on SQLite it is written at the call. A save
    from a version older than one this unit already read or wrote is refused at the call.
    Reads of the escrow tables send whatever waits for them first.
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, escrow: Escrow) -> None:
        transaction = self._transaction()
        values = escrow_values(escrow, version=1)
        if transaction.dialect.writes_in_one_statement:
            transaction.pending.append(escrows, [values])
        else:
            await insert_first_version(transaction, escrows, values)
        queue_participants(transaction, escrow)
        queue_new_children(transaction, escrow, NOTHING_STORED)
        escrow.version = 1
        transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, 1)

    async def save(self, escrow: Escrow) -> None:
        transaction = self._transaction()
        read_at, version = escrow.version, escrow.version + 1
        before = transaction.escrow_footprints.get(escrow.id)
        if before is not None and before.version > read_at:
            # This unit itself read or wrote a later version: the update cannot match.
            raise ConcurrencyConflictError(
                f"escrow {escrow.id} is at version {before.version}, not {read_at}"
            )
        values = escrow_values(escrow, version=version)
        change = VersionedUpdate.of(escrows, values, read_at=read_at, kind="escrow")
        await update_from_read_version(transaction, change)
        if before is None or before.version != read_at:
            before = await stored_footprint(transaction, escrow.id)
        queue_new_children(transaction, escrow, before)
        escrow.version = version
        transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, version)

    async def get(self, escrow_id: str) -> Escrow:
        found = await self._with_parties(_BY_ID, escrow_id)
        if found is None:
            raise NotFoundError("escrow", escrow_id)
        return found

    async def find_by_reference(self, reference: str) -> Escrow | None:
        return await self._with_parties(_BY_REFERENCE, reference)

    async def find_by_payout(self, payout_id: str) -> Escrow | None:
        await self._flush_if_pending(escrows, escrow_payouts)
        found = await self._all(_BY_PAYOUT, {"value": payout_id})
        return found[0] if found else None

    async def list_for_user(self, user_id: str, *, limit: int, offset: int) -> Sequence[Escrow]:
        await self._flush_if_pending(escrows, escrow_participants)
        parameters = {"user_id": user_id, "limit": limit, "offset": offset}
        return await self._all(_FOR_USER, parameters)

    async def due_for_jobs(
        self, work: DueWork, *, limit: int, after: str | None = None
    ) -> Sequence[str]:
        await self._flush_if_pending(escrows)
        parameters = {
            "now": work.now,
            "today": work.today,
            "reminded_before": work.reminded_before,
            "limit": limit,
        }
        statement = _DUE
        if after is not None:
            statement, parameters["after"] = _DUE_AFTER, after
        result = await self._transaction().execute(statement, parameters)
        return list(result.scalars())

    async def _flush_if_pending(self, *tables: Table) -> None:
        transaction = self._transaction()
        if transaction.pending.holds(*tables):
            await flush(transaction)

    async def _with_parties(
        self, queries: tuple[DirectStatement, DirectStatement], value: str
    ) -> Escrow | None:
        """One escrow, and the ``users`` rows of its parties for ``users.get`` in this unit.

        The use cases that read an escrow go on to read its payee's and brokers' payout
        accounts: one statement instead of one per party. The rows are as of this read, like
        any row read earlier in the unit. On PostgreSQL the same statement reads what
        ``ledger.post`` checks before it posts for the escrow (its custody account's total
        and its ledger keys: see ``SqlTransaction.ledger_read``), one statement instead of two.
        """
        await self._flush_if_pending(escrows)
        transaction = self._transaction()
        with_ledger = transaction.dialect.writes_in_one_statement
        rows = await transaction.fetch(queries[with_ledger], {"value": value})
        if not rows:
            return None
        for row in rows:
            if row[_PARTY_ID] is not None:
                party = {name: row[label] for name, label in _PARTY_LABELS.items()}
                transaction.parties_read[row[_PARTY_ID]] = party
        escrow = escrow_from_row(rows[0])
        if with_ledger:
            transaction.ledger_read[escrow.id] = _ledger_read(escrow, rows[0])
        return _remember(transaction, escrow)

    async def _all(self, query: Select[Any], parameters: dict[str, Any]) -> list[Escrow]:
        transaction = self._transaction()
        rows = (await transaction.execute(query, parameters)).mappings()
        return [_remember(transaction, escrow_from_row(row)) for row in rows]


# Built once, values bound at execution: building a statement per call costs more Python time
# than its round trip.
_PARTY_LABELS: Final = {column.name: f"party_{column.name}" for column in users.c}
_PARTY_ID: Final = _PARTY_LABELS["id"]


_CUSTODY_TOTAL: Final = "ledger_custody_total"
_LEDGER_KEYS: Final = "ledger_keys"


_custody = ledger_balances.alias("custody")
_ledger_keys = (
    select(func.array_agg(ledger_transactions.c.key).label(_LEDGER_KEYS))
    .where(ledger_transactions.c.escrow_id == escrows.c.id)
    .lateral("escrow_ledger_keys")
)


def _with_parties(where: ColumnElement[bool], *, ledger: bool) -> DirectStatement:
    """The escrow's columns on one row per party, each with that party's ``users`` columns.

    Outer joins: an escrow stored without its parties' users still comes back (once). With
    ``ledger`` (PostgreSQL), also its custody account's signed total (``NULL``: no row) and its
    ledger keys, joined to the escrow before its parties so that each is read once, not once
    per party. The account's code is built the way :attr:`Account.code` builds it
    (``escrow_custody:<escrow id>:<currency>``), so the lookup is one probe of the primary key.
    """
    parties = [column.label(_PARTY_LABELS[column.name]) for column in users.c]
    source: Any = escrows
    extra: list[Any] = []
    if ledger:
        code = (
            literal(f"{AccountKind.ESCROW_CUSTODY.value}:")
            + escrows.c.id
            + ":"
            + escrows.c.currency
        )
        source = escrows.outerjoin(_custody, _custody.c.account == code).outerjoin(
            _ledger_keys, true()
        )
        extra = [_custody.c.total_minor.label(_CUSTODY_TOTAL), _ledger_keys.c[_LEDGER_KEYS]]
    return DirectStatement(
        select(escrows, *extra, *parties)
        .select_from(source)
        .outerjoin(escrow_participants, escrow_participants.c.escrow_id == escrows.c.id)
        .outerjoin(users, users.c.id == escrow_participants.c.user_id)
        .where(where)
    )


def _ledger_read(escrow: Escrow, row: Row) -> LedgerRead:
    custody = Account.custody(escrow.id, escrow.terms.amount.currency).code
    total = row[_CUSTODY_TOTAL]
    return LedgerRead(
        accounts=frozenset((custody,)),
        totals={} if total is None else {custody: total},
        keys=frozenset(row[_LEDGER_KEYS] or ()),
    )


_by_id = escrows.c.id == bindparam("value")
_by_reference = escrows.c.reference == bindparam("value")
# Indexed by whether the database is PostgreSQL (``writes_in_one_statement``).
_BY_ID: Final = (_with_parties(_by_id, ledger=False), _with_parties(_by_id, ledger=True))
_BY_REFERENCE: Final = (
    _with_parties(_by_reference, ledger=False),
    _with_parties(_by_reference, ledger=True),
)
_BY_PAYOUT: Final = (
    select(escrows)
    .join(escrow_payouts, escrow_payouts.c.escrow_id == escrows.c.id)
    .where(escrow_payouts.c.payout_id == bindparam("value"))
    .limit(1)
)
_mine = escrow_participants.c
_FOR_USER: Final = (
    select(escrows)
    .join(escrow_participants, _mine.escrow_id == escrows.c.id)
    .where(_mine.user_id == bindparam("user_id"))
    .order_by(_mine.created_at.desc(), _mine.escrow_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
# DueWork.includes, as a predicate each branch of which an index answers (ix_escrows_state_*).
_e = escrows.c
_now = bindparam("now", type_=_e.funding_deadline.type)
_today = bindparam("today", type_=_e.yield_accrued_through.type)
_reminded_before = bindparam("reminded_before", type_=_e.last_reminded_at.type)
_overdue_unfunded = and_(_e.state.in_(_UNFUNDED), _e.funding_deadline <= _now)
_yield_due = and_(_e.state.in_(_IN_CUSTODY), _e.yield_accrued_through < _today)
_release_or_reminder_due = and_(
    _e.state == EscrowState.FUNDED.value,
    _e.custody_ends_at <= _now,
    or_(_e.last_reminded_at.is_(None), _e.last_reminded_at <= _reminded_before),
)
_due: ColumnElement[bool] = or_(_overdue_unfunded, _yield_due, _release_or_reminder_due)
_DUE: Final = select(_e.id).where(_due).order_by(_e.created_at, _e.id).limit(bindparam("limit"))
# The next page: after the last escrow of the previous one, in (created_at, id) order. An id
# with no row makes the subquery NULL and the page empty.
_last = escrows.alias("last")
_after_last = tuple_(_e.created_at, _e.id) > tuple_(
    select(_last.c.created_at).where(_last.c.id == bindparam("after")).scalar_subquery(),
    bindparam("after"),
)
_DUE_AFTER: Final = _DUE.where(_after_last)


def _remember(transaction: SqlTransaction, escrow: Escrow) -> Escrow:
    transaction.escrow_footprints[escrow.id] = EscrowFootprint.of(escrow, escrow.version)
    return escrow
