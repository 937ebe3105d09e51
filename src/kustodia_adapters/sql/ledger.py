"""The ledger: append-only transactions and postings, and a running total per account.

``post`` checks the domain's invariants (:mod:`kustodia_domain.ledger.balances`) against the
running totals instead of summing history, in at most four statements: read (and on
PostgreSQL lock, in account order) the touched balances together with any transaction already
stored under the key; claim the key; insert every posting; add every leg to its balance. The
tables' constraints and, on both databases, triggers refusing UPDATE and DELETE of ledger rows
stand behind that code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from sqlalchemy import BigInteger, case, insert, literal, select, union_all

from kustodia_adapters.sql.mappers.ledger import (
    account_of,
    balance_changes,
    posting_of,
    posting_rows,
    transactions_of,
)
from kustodia_adapters.sql.session import CurrentTransaction, SqlTransaction
from kustodia_adapters.sql.tables import ledger_balances, ledger_postings, ledger_transactions
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
        current = self._transaction()
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
        transaction_id = await _claim_key(current, transaction)
        if transaction_id is None:
            return _replayed(transaction, await _stored_postings(current, transaction.key))
        await current.execute(
            insert(ledger_postings).values(posting_rows(transaction_id, transaction))
        )
        await _add_to_balances(current, transaction, balances)
        return True

    async def balance(self, account: Account) -> int:
        query = select(_balances.total_minor).where(_balances.account == account.code)
        total = (await self._transaction().execute(query)).scalar()
        return held(account, total or 0)

    async def signed_totals(self) -> Mapping[Account, int]:
        rows = (await self._transaction().execute(select(ledger_balances))).mappings()
        return {account_of(row): row["total_minor"] for row in rows}

    async def transactions_for_escrow(self, escrow_id: str) -> Sequence[LedgerTransaction]:
        """In the order they were posted."""
        query = (
            select(ledger_transactions, ledger_postings)
            .join(ledger_postings, _postings.transaction_id == _transactions.id)
            .where(_transactions.escrow_id == escrow_id)
            .order_by(_transactions.id, _postings.leg)
        )
        return transactions_of((await self._transaction().execute(query)).mappings())


async def _read_for_posting(
    current: SqlTransaction, transaction: LedgerTransaction
) -> tuple[dict[Account, int], list[Posting]]:
    """The signed totals of the touched accounts, and the postings stored under the key."""
    codes = sorted({posting.account.code for posting in transaction.postings})
    columns = (_balances.account_kind, _balances.account_owner, _balances.currency)
    locked = current.dialect.lock_for_update(
        select(*columns, _balances.total_minor)
        .where(_balances.account.in_(codes))
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
        .where(_transactions.key == transaction.key)
    )
    query = union_all(
        select(
            literal("balance").label("source"),
            locked.c.account_kind,
            locked.c.account_owner,
            locked.c.currency,
            locked.c.total_minor.label("amount_minor"),
        ),
        stored,
    )
    balances: dict[Account, int] = {}
    existing: list[Posting] = []
    for row in (await current.execute(query)).mappings():
        if row["source"] == "balance":
            balances[account_of(row)] = row["amount_minor"]
        else:
            existing.append(posting_of(row))
    return balances, existing


async def _add_to_balances(
    current: SqlTransaction, transaction: LedgerTransaction, before: Mapping[Account, int]
) -> None:
    """Insert new balances or add the change to existing ones, in one statement.

    An existing row gets its change added rather than the total computed here, so that an
    account another transaction created meanwhile (no row to lock when this one read it)
    keeps that transaction's postings too.
    """
    rows, changes = balance_changes(transaction, before)
    upsert = current.dialect.upsert(ledger_balances).values(rows)
    change = case(
        {code: literal(amount, BigInteger) for code, amount in changes.items()},
        value=upsert.excluded.account,
    )
    await current.execute(
        upsert.on_conflict_do_update(
            index_elements=[_balances.account],
            set_={"total_minor": _balances.total_minor + change},
        )
    )


async def _stored_postings(current: SqlTransaction, key: str) -> list[Posting]:
    query = (
        select(_postings.account_kind, _postings.account_owner, _postings.currency)
        .add_columns(_postings.amount_minor)
        .join(ledger_transactions, _transactions.id == _postings.transaction_id)
        .where(_transactions.key == key)
        .order_by(_postings.leg)
    )
    return [posting_of(row) for row in (await current.execute(query)).mappings()]


async def _claim_key(current: SqlTransaction, transaction: LedgerTransaction) -> int | None:
    """Insert the transaction's row; ``None`` if its key was taken meanwhile."""
    claim = (
        current.dialect.upsert(ledger_transactions)
        .values(
            key=transaction.key,
            escrow_id=transaction.escrow_id,
            occurred_at=transaction.occurred_at,
            description=transaction.description,
        )
        .on_conflict_do_nothing(index_elements=[_transactions.key])
        .returning(_transactions.id)
    )
    transaction_id: int | None = (await current.execute(claim)).scalar()
    return transaction_id


def _replayed(transaction: LedgerTransaction, stored: list[Posting]) -> bool:
    """``False`` if ``stored`` are the same postings; otherwise the key was misused."""
    if not stored:
        raise ConcurrencyConflictError(f"ledger key {transaction.key} is being posted elsewhere")
    if transaction.same_content(attrs.evolve(transaction, postings=tuple(stored))):
        return False
    raise IdempotencyConflictError(
        f"ledger key {transaction.key} was already used for different postings"
    )
