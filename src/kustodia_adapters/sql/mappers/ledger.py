"""Ledger rows <-> accounts, postings and transactions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.ledger.accounts import Account, AccountKind
from kustodia_domain.ledger.transactions import LedgerTransaction, Posting
from kustodia_domain.shared.money import Currency, Money


def account_of(row: Row) -> Account:
    """The account named by ``row``'s ``account_kind``, ``account_owner`` and ``currency``."""
    return Account(
        AccountKind(row["account_kind"]), row["account_owner"], Currency.of(row["currency"])
    )


def account_columns(account: Account) -> dict[str, Any]:
    """The columns that name ``account``."""
    return {
        "account_kind": account.kind.value,
        "account_owner": account.owner,
        "currency": account.currency.code,
    }


def posting_rows(transaction: LedgerTransaction) -> list[dict[str, Any]]:
    """The ``ledger_postings`` rows of ``transaction``, legs numbered in their order.

    Without ``transaction_id``: the database assigns it when the transaction's key is claimed.
    """
    return [
        {
            "leg": leg,
            **account_columns(posting.account),
            "amount_minor": posting.amount.amount_minor,
        }
        for leg, posting in enumerate(transaction.postings, start=1)
    ]


def posting_of(row: Row) -> Posting:
    """The posting in ``row`` (``amount_minor`` signed, debit positive)."""
    account = account_of(row)
    return Posting(account, Money(row["amount_minor"], account.currency))


def transactions_of(rows: Iterable[Row]) -> list[LedgerTransaction]:
    """Transactions from rows of a transaction joined to its postings, in row order."""
    grouped: dict[str, tuple[Row, list[Posting]]] = {}
    for row in rows:
        grouped.setdefault(row["key"], (row, []))[1].append(posting_of(row))
    return [
        LedgerTransaction(
            key=head["key"],
            postings=tuple(postings),
            occurred_at=head["occurred_at"],
            description=head["description"],
            escrow_id=head["escrow_id"],
        )
        for head, postings in grouped.values()
    ]
