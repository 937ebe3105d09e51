"""Balances and the ledger's invariants, as pure functions shared by every ledger adapter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.shared.errors import KustodiaError


class NegativeBalanceError(KustodiaError):
    """A transaction would leave an account holding less than zero; it was not written."""

    code = "ledger.negative_balance"

    def __init__(self, account: Account, held_minor: int) -> None:
        super().__init__(f"{account.code} would hold {held_minor} minor units")
        self.account = account
        self.held_minor = held_minor


def held(account: Account, signed_minor: int) -> int:
    """What ``account`` holds, in minor units, given its signed (debit-positive) total."""
    return signed_minor if account.debit_normal else -signed_minor


def check_postable(balances: Mapping[Account, int], transaction: LedgerTransaction) -> None:
    """Raise ``NegativeBalanceError`` if ``transaction`` would overdraw any account.

    ``balances`` maps accounts to their signed totals before the transaction.
    """
    for posting in transaction.postings:
        after = balances.get(posting.account, 0) + posting.amount.amount_minor
        if posting.account.never_negative and held(posting.account, after) < 0:
            raise NegativeBalanceError(posting.account, held(posting.account, after))


def signed_totals(transactions: Iterable[LedgerTransaction]) -> dict[Account, int]:
    """Signed totals per account over ``transactions``."""
    totals: dict[Account, int] = {}
    for transaction in transactions:
        for posting in transaction.postings:
            totals[posting.account] = totals.get(posting.account, 0) + posting.amount.amount_minor
    return totals
