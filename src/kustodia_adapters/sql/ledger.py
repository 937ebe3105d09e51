"""The ledger: append-only transactions and postings, and a running total per account.

``post`` checks the domain's invariants (:mod:`kustodia_domain.ledger.balances`) against the
running totals instead of summing history, in one statement at call time: read (and on
PostgreSQL lock, in account order) the balances the transaction draws down, together with any
transaction already stored under the key. Only those: every stored total already holds zero
or more (the domain's rule, and a CHECK on the table), so a leg that adds to what an account
holds cannot overdraw it, whatever its total; and an account that is only ever credited by
concurrent transactions (a popular seller's payable, the platform's fees, rail cash on
deposits) is then locked only from the flush to the commit, not from the read. The writes
(claim the key, insert every posting, add every leg to its balance) are queued and go out
with the unit's other pending rows (:mod:`kustodia_adapters.sql.write_behind`): on PostgreSQL
in one statement with them. The tables' constraints and, on both databases, triggers
refusing UPDATE and DELETE of ledger rows stand behind that code.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    Table,
    Text,
    bindparam,
    func,
    literal,
    null,
    select,
    union_all,
)

from kustodia_adapters.sql.dialects import SqlDialect
from kustodia_adapters.sql.mappers.ledger import (
    account_of,
    balance_changes,
    posting_of,
    posting_rows,
    transactions_of,
)
from kustodia_adapters.sql.session import CurrentTransaction, SqlTransaction
from kustodia_adapters.sql.tables import ledger_balances, ledger_postings, ledger_transactions
from kustodia_adapters.sql.versions import refuse_update, update_statement
from kustodia_adapters.sql.write_behind import PendingPost, flush
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.balances import NegativeBalanceError, check_postable, held
from kustodia_domain.ledger.transactions import LedgerTransaction, Posting
from kustodia_domain.ports.ledger import Ledger
from kustodia_domain.shared.errors import ConcurrencyConflictError, IdempotencyConflictError

_balances = ledger_balances.c
_postings = ledger_postings.c
_transactions = ledger_transactions.c


class SqlLedger(Ledger):
    """Idempotent by key, never overdrawn; ledger rows are only ever inserted."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def post(self, transaction: LedgerTransaction) -> bool:
        """Check ``transaction`` now and queue its rows (see the module docstring).

        A key written by a concurrent transaction between the read and the flush makes the
        flush raise ``ConcurrencyConflictError``; nothing of the unit is then written.
        """
        current = await self._flushed()
        balances, existing = await _read_for_posting(current, transaction)
        if existing:
            return _replayed(transaction, existing)
        try:
            check_postable(balances, transaction)
        except NegativeBalanceError:
            # The balances were read after waiting for their row locks, the key in the
            # statement's earlier snapshot: the poster we waited for may have used this key.
            existing = await _stored_postings(current, transaction.key)
            if existing:
                return _replayed(transaction, existing)
            raise
        rows, changes = balance_changes(transaction, balances)
        current.pending.post = PendingPost(
            transaction={
                "key": transaction.key,
                "escrow_id": transaction.escrow_id,
                "occurred_at": transaction.occurred_at,
                "description": transaction.description,
            },
            postings=posting_rows(transaction),
            balances=[{**row, "change": changes[row["account"]]} for row in rows],
        )
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


@functools.cache
def _read_statement(
    dialect: SqlDialect, update: tuple[Table, tuple[str, ...]] | None = None
) -> CompoundSelect[Any]:
    """The balances drawn down (locked where the dialect locks) and the key's stored postings.

    Built once per dialect, with ``codes`` (expanding) and ``key`` bound at execution: a
    statement built per call costs more Python time than its round trip. With ``update`` (the
    table and columns of an aggregate update waiting in the unit, PostgreSQL), the update
    rides along as a data-modifying CTE and one more row, ``source = 'updated'``, counts the
    rows it changed: the escrow's ``UPDATE`` and the ledger's read are one round trip.
    """
    columns = (_balances.account_kind, _balances.account_owner, _balances.currency)
    locked = dialect.lock_for_update(
        select(*columns, _balances.total_minor)
        .where(_balances.account.in_(bindparam("codes", expanding=True)))
        .order_by(_balances.account)
    ).cte("locked")
    stored = (
        select(
            literal("posting").label("source"),
            _postings.account_kind,
            _postings.account_owner,
            _postings.currency,
            _postings.amount_minor,
        )
        .join(ledger_transactions, _transactions.id == _postings.transaction_id)
        .where(_transactions.key == bindparam("key"))
    )
    branches = [
        select(
            literal("balance").label("source"),
            locked.c.account_kind,
            locked.c.account_owner,
            locked.c.currency,
            locked.c.total_minor.label("amount_minor"),
        ),
        stored,
    ]
    if update is None:
        return union_all(*branches)
    updated = update_statement(*update).cte("updated")
    nothing = null().cast(Text)
    count = select(func.count()).select_from(updated).scalar_subquery().cast(BigInteger)
    branches.append(select(literal("updated"), nothing, nothing, nothing, count))
    return union_all(*branches).add_cte(updated)


async def _read_for_posting(
    current: SqlTransaction, transaction: LedgerTransaction
) -> tuple[dict[Account, int], list[Posting]]:
    """The signed totals of the accounts drawn down, and the postings stored under the key.

    Accounts the transaction only adds to are left out (and count as zero for the check).
    An aggregate update waiting in the unit is sent with the read (see :func:`_read_statement`).

    Raises:
        ConcurrencyConflictError, NotFoundError: that update matched no row.
    """
    codes = sorted({p.account.code for p in transaction.postings if _draws_down(p)})
    parameters: dict[str, Any] = {"codes": codes, "key": transaction.key}
    update, shape = current.pending.update, None
    if update is not None:
        current.pending.update = None
        shape = (update.table, update.columns)
        parameters |= update.parameters
    balances: dict[Account, int] = {}
    existing: list[Posting] = []
    updated = 0
    statement = _read_statement(current.dialect, shape)
    for row in (await current.execute(statement, parameters)).mappings():
        if row["source"] == "balance":
            balances[account_of(row)] = row["amount_minor"]
        elif row["source"] == "updated":
            updated = row["amount_minor"]
        else:
            existing.append(posting_of(row))
    if update is not None and updated != 1:
        # Rows this unit queued after the update must not be committed without it.
        current.failed = True
        await refuse_update(current, update)
    return balances, existing


_STORED_POSTINGS: Final = (
    select(_postings.account_kind, _postings.account_owner, _postings.currency)
    .add_columns(_postings.amount_minor)
    .join(ledger_transactions, _transactions.id == _postings.transaction_id)
    .where(_transactions.key == bindparam("key"))
    .order_by(_postings.leg)
)
_BALANCE: Final = select(_balances.total_minor).where(_balances.account == bindparam("account"))
_ESCROW_TRANSACTIONS: Final = (
    select(ledger_transactions, ledger_postings)
    .join(ledger_postings, _postings.transaction_id == _transactions.id)
    .where(_transactions.escrow_id == bindparam("escrow_id"))
    .order_by(_transactions.id, _postings.leg)
)


async def _stored_postings(current: SqlTransaction, key: str) -> list[Posting]:
    rows = (await current.execute(_STORED_POSTINGS, {"key": key})).mappings()
    return [posting_of(row) for row in rows]


def _draws_down(posting: Posting) -> bool:
    """Whether ``posting`` lowers what its (never-negative) account holds."""
    account = posting.account
    return account.never_negative and held(account, posting.amount.amount_minor) < 0


def _replayed(transaction: LedgerTransaction, stored: list[Posting]) -> bool:
    """``False`` if ``stored`` are the same postings; otherwise the key was misused."""
    if not stored:
        raise ConcurrencyConflictError(f"ledger key {transaction.key} is being posted elsewhere")
    if transaction.same_content(attrs.evolve(transaction, postings=tuple(stored))):
        return False
    raise IdempotencyConflictError(
        f"ledger key {transaction.key} was already used for different postings"
    )
