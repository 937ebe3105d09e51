"""The ledger: append-only transactions and postings, and a running total per account.

``post`` checks the domain's invariants (:mod:`kustodia_domain.ledger.balances`) against the
running totals instead of summing history, in at most one statement at call time: read the
balances the transaction draws down, together with any transaction already stored under its
key, and add what this unit's pending transactions change. On PostgreSQL an escrow's own
transaction posted after that escrow's read needs none: the read brought its custody total and
its stored keys (see :func:`_known`). Only those balances: every stored total
holds zero or more (the domain's rule, and a CHECK on the table), so a leg that adds to what
an account holds cannot overdraw it, whatever its total.

The writes (claim the key, insert every posting, add every leg to its balance) wait, and go
out with the unit's other writes (:mod:`kustodia_adapters.sql.write_behind`): on PostgreSQL in
the same single statement. Nothing is locked when the balances are read. What a concurrent
unit does between the read and the write is caught when the write is made, by the database:
a key it wrote first fails the unique key, an account it drew down first fails the table's
never-negative CHECK (each balance row gets this unit's change added, never a total computed
from the read). Either way the whole unit writes nothing and fails with
``ConcurrencyConflictError``; retried, it reads again and the domain decides. An escrow's own
custody account is moreover only ever changed with the escrow's optimistic version. The
tables' constraints and, on both databases, triggers refusing UPDATE and DELETE of ledger rows
stand behind that code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import attrs
from sqlalchemy import (
    ColumnElement,
    Text,
    TextClause,
    bindparam,
    cast,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from kustodia_adapters.sql.direct import DirectStatement
from kustodia_adapters.sql.mappers import Row
from kustodia_adapters.sql.mappers.ledger import account_of, posting_of, transactions_of
from kustodia_adapters.sql.session import CurrentTransaction, SqlTransaction
from kustodia_adapters.sql.tables import ledger_balances, ledger_postings, ledger_transactions
from kustodia_adapters.sql.write_behind import PendingPost, flush
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import check_postable, held
from kustodia_domain.ledger.transactions import LedgerTransaction, Posting, escrow_owning
from kustodia_domain.ports.ledger import Ledger
from kustodia_domain.shared.errors import IdempotencyConflictError

_balances = ledger_balances.c
_postings = ledger_postings.c
_transactions = ledger_transactions.c


class SqlLedger(Ledger):
    """Idempotent by key, never overdrawn; ledger rows are only ever inserted."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def post(self, transaction: LedgerTransaction) -> bool:
        """Check ``transaction`` now and queue its rows (see the module docstring).

        A key or an account a concurrent unit wrote between the read and the write makes the
        write (usually ``commit``) raise ``ConcurrencyConflictError``; nothing of the unit is
        then written.
        """
        current = self._transaction()
        pending = current.pending
        for queued in pending.posts:
            if queued.transaction.key == transaction.key:
                return _replayed(transaction, queued.transaction)
        drawn = _drawn_down(transaction)
        known = _known(current, transaction, drawn)
        if known is None:
            stored, existing = await _read_for_posting(current, transaction, drawn)
        else:
            stored, existing = known, None
        if existing is not None:
            _forget_if_older(current, transaction)
            return _replayed(transaction, existing)
        changes = pending.changes()
        balances = {account: total + changes.get(account, 0) for account, total in stored.items()}
        for account in drawn:
            balances.setdefault(account, changes.get(account, 0))
        check_postable(balances, transaction)
        pending.posts.append(PendingPost(transaction=transaction, balances_read=stored))
        return True

    async def balance(self, account: Account) -> int:
        current = await self._flushed()
        total = (await current.execute(_BALANCE, {"account": account.code})).scalar()
        return held(account, total or 0)

    async def signed_totals(self) -> Mapping[Account, int]:
        rows = (await (await self._flushed()).execute(select(ledger_balances))).mappings()
        return {account_of(row): row["total_minor"] for row in rows}

    async def transactions_for_escrow(self, escrow_id: str) -> Sequence[LedgerTransaction]:
        """In the order they were posted."""
        current = await self._flushed()
        rows = (await current.execute(_ESCROW_TRANSACTIONS, {"escrow_id": escrow_id})).mappings()
        return transactions_of(rows)

    async def _flushed(self) -> SqlTransaction:
        """The open transaction, with any queued ledger rows sent (read-your-writes)."""
        current = self._transaction()
        if current.pending.holds(ledger_balances):
            await flush(current)
        return current


def _read_statement(named: ColumnElement[bool] | TextClause) -> Any:
    """The balances ``named`` selects and the postings stored under ``key``, in one statement.

    Built once, with ``codes`` and ``key`` bound at execution: a statement built per call costs
    more Python time than its round trip.
    """
    balances = select(
        literal("balance").label("source"),
        _balances.account_kind,
        _balances.account_owner,
        _balances.currency,
        _balances.total_minor.label("amount_minor"),
        cast(None, Text).label("escrow_id"),
    ).where(named)
    stored = (
        select(
            literal("posting").label("source"),
            _postings.account_kind,
            _postings.account_owner,
            _postings.currency,
            _postings.amount_minor,
            _transactions.escrow_id,
        )
        .join(ledger_transactions, _transactions.id == _postings.transaction_id)
        .where(_transactions.key == bindparam("key"))
    )
    return union_all(balances, stored)


_READ: Final = _read_statement(_balances.account.in_(bindparam("codes", expanding=True)))
"""SQLite: ``IN`` with one parameter per code, rendered per call."""
_READ_ANY: Final = DirectStatement(
    _read_statement(
        text(
            "ledger_balances.account = ANY (ARRAY(SELECT unnest(CAST(:codes AS TEXT[]))))"
        ).bindparams(bindparam("codes", type_=ARRAY(Text())))
    )
)
"""PostgreSQL: one array parameter, so the text never changes (see ``direct``).

The array is read through a scalar subquery, so that the planner estimates its length the same
way in a custom plan as in the generic one: compared with ``= ANY(:codes)``, whose custom plans
know the length (and look cheaper than the generic plan, so the statement was planned again at
every execution, about 0.15 ms of the server's time against 0.03 ms to run it), the generic
plan is kept after the plan cache's first five executions.
"""
_BALANCE: Final = select(_balances.total_minor).where(_balances.account == bindparam("account"))
_ESCROW_TRANSACTIONS: Final = (
    select(ledger_transactions, ledger_postings)
    .join(ledger_postings, _postings.transaction_id == _transactions.id)
    .where(_transactions.escrow_id == bindparam("escrow_id"))
    .order_by(_transactions.id, _postings.leg)
)


async def _read_for_posting(
    current: SqlTransaction, transaction: LedgerTransaction, drawn: set[Account]
) -> tuple[dict[Account, int], LedgerTransaction | None]:
    """The stored signed totals of the ``drawn`` down accounts, and what the key holds.

    Accounts the transaction only adds to are left out (and count as zero for the check). What
    the key holds is ``transaction`` with the stored postings and escrow tag (enough for
    ``same_content``), or ``None`` if the key is not stored.
    """
    codes = sorted({account.code for account in drawn})
    parameters = {"codes": codes, "key": transaction.key}
    balances: dict[Account, int] = {}
    existing: list[Posting] = []
    tag: str | None = None
    if current.dialect.writes_in_one_statement:
        rows: Iterable[Row] = await current.fetch(_READ_ANY, parameters)
    else:
        rows = (await current.execute(_READ, parameters)).mappings()
    for row in rows:
        if row["source"] == "balance":
            balances[account_of(row)] = row["amount_minor"]
        else:
            existing.append(posting_of(row))
            tag = row["escrow_id"]
    if not existing:
        return balances, None
    return balances, attrs.evolve(transaction, postings=tuple(existing), escrow_id=tag)


def _known(
    current: SqlTransaction, transaction: LedgerTransaction, drawn: set[Account]
) -> dict[Account, int] | None:
    """The totals :func:`_read_for_posting` would read, if the escrow's read already has them.

    That is when ``transaction``'s key is in the namespace of an escrow read in this unit since
    its last flush (``escrow:<id>:<n>``: the domain tags such a key with that escrow, so the
    keys stored for the escrow hold it if it is stored at all), the key is not among them, and
    the read covered every account it draws down (``drawn``). ``None`` otherwise: read them.
    Any other key (a deposit's ``deposit:<tracking key>`` may be stored on another escrow or in
    suspense) is looked up. A key or a total that changed since the escrow's read is a
    concurrent writer's, found at the write as after any read.
    """
    owner = escrow_owning(transaction.key)
    read = None if owner is None else current.ledger_read.get(owner)
    if read is None or transaction.key in read.keys:
        return None
    if any(account.code not in read.accounts for account in drawn):
        return None
    return {account: read.totals[account.code] for account in drawn if account.code in read.totals}


def _forget_if_older(current: SqlTransaction, transaction: LedgerTransaction) -> None:
    """Stop trusting the escrow's carried ledger state if it lacks ``transaction``, found stored.

    The key was stored after the escrow was read: this read (READ COMMITTED) sees it, the
    escrow's did not. The unit then replays it (nothing queued) while the escrow it holds
    still has to apply it, so the carried totals, older than the key, would check the unit's
    next draw on custody as if the deposit had never been made, and refuse it as an overdraft.
    Forgotten, the next post reads the ledger as it is, and the unit loses its race at the
    write, as a unit does that read before the other committed.
    """
    owner = transaction.escrow_id
    if owner is None:
        return
    read = current.ledger_read.get(owner)
    if read is not None and transaction.key not in read.keys:
        del current.ledger_read[owner]


def _drawn_down(transaction: LedgerTransaction) -> set[Account]:
    """The (never-negative) accounts of which a leg lowers what they hold."""
    return {
        posting.account
        for posting in transaction.postings
        if posting.account.never_negative and held(posting.account, posting.amount.amount_minor) < 0
    }


def _replayed(transaction: LedgerTransaction, stored: LedgerTransaction) -> bool:
    """``False`` if ``stored`` has the same content; otherwise the key was misused."""
    if transaction.same_content(stored):
        return False
    raise IdempotencyConflictError(
        f"ledger key {transaction.key} was already used for other postings or another escrow"
    )
