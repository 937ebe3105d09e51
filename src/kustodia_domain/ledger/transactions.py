"""Balanced, immutable ledger transactions."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import attrs

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Money


@immutable
@attrs.frozen
class Posting:
    """One leg of a transaction: a signed amount (debit positive) on one account."""

    account: Account
    amount: Money

    def __attrs_post_init__(self) -> None:
        if self.amount.currency != self.account.currency:
            raise ValidationError("posting currency differs from its account", field="amount")
        if self.amount.is_zero:
            raise ValidationError("a posting cannot be zero", field="amount")


ESCROW_KEY_PREFIX = "escrow:"
"""Keys of an escrow's own transactions: ``escrow:<escrow id>:<event sequence>``."""


def escrow_key(escrow_id: str, sequence: int) -> str:
    """The key of the transaction the escrow's event number ``sequence`` produces."""
    return f"{ESCROW_KEY_PREFIX}{escrow_id}:{sequence}"


def escrow_owning(key: str) -> str | None:
    """The escrow whose own key ``key`` is (see :func:`escrow_key`), or ``None``."""
    if not key.startswith(ESCROW_KEY_PREFIX):
        return None
    owner, _, sequence = key[len(ESCROW_KEY_PREFIX) :].rpartition(":")
    return owner if owner and sequence.isdigit() else None


@immutable
@attrs.frozen(kw_only=True)
class LedgerTransaction:
    """A set of postings that sum to zero in each currency, written once under ``key``.

    ``key`` is the idempotency key: posting the same key again with the same postings and the
    same escrow tag is a no-op, otherwise it is an ``IdempotencyConflictError``. ``escrow_id``
    tags the transactions that belong to one escrow's history; a key in an escrow's own namespace
    (:func:`escrow_key`) is always tagged with that escrow, so the transactions stored for an
    escrow hold every key of its namespace that was ever used.

    Raises:
        ValidationError: fewer than two postings, postings that do not balance, or an escrow's
            own key tagged with another escrow or with none.
    """

    key: str
    postings: tuple[Posting, ...]
    occurred_at: datetime
    description: str
    escrow_id: str | None = None

    def __attrs_post_init__(self) -> None:
        owner = escrow_owning(self.key)
        if owner is not None and owner != self.escrow_id:
            raise ValidationError(
                f"ledger key {self.key} is escrow {owner}'s: tag it with that escrow",
                field="escrow_id",
            )
        if len(self.postings) < 2:  # noqa: PLR2004 - double entry needs two sides
            raise ValidationError("a transaction needs at least two postings", field="postings")
        sums: dict[str, int] = defaultdict(int)
        for posting in self.postings:
            sums[posting.amount.currency.code] += posting.amount.amount_minor
        unbalanced = {code: amount for code, amount in sums.items() if amount != 0}
        if unbalanced:
            raise ValidationError(
                f"transaction {self.key} does not balance: {unbalanced}", field="postings"
            )

    def same_content(self, other: LedgerTransaction) -> bool:
        """Whether ``other`` moves the same amounts between the same accounts for the same escrow.

        The tag counts: a transfer bounced from two escrows moves identical amounts, and only
        the escrow tells the second report of it from a replay of the first.
        """
        return self.escrow_id == other.escrow_id and sorted(self._legs()) == sorted(other._legs())

    def _legs(self) -> list[tuple[str, int]]:
        return [(p.account.code, p.amount.amount_minor) for p in self.postings]


def debit(account: Account, amount: Money) -> Posting:
    """A debit posting: raises an asset, lowers a liability."""
    return Posting(account, amount)


def credit(account: Account, amount: Money) -> Posting:
    """A credit posting: lowers an asset, raises a liability."""
    return Posting(account, -amount)


def normal_balance(account: Account, signed_total: Money) -> Money:
    """Convert a signed (debit-positive) total into what ``account`` holds."""
    return signed_total if account.debit_normal else -signed_total


@attrs.define
class TransactionBuilder:
    """Collects debits and credits, merging legs on the same account and dropping zero legs.

    ``build`` returns ``None`` when nothing moves (every leg was zero), so callers never write
    empty transactions.
    """

    key: str
    occurred_at: datetime
    description: str
    escrow_id: str | None = None
    _legs: dict[Account, int] = attrs.field(factory=dict)

    def debit(self, account: Account, amount: Money) -> TransactionBuilder:
        """Add a debit of ``amount`` (non-negative) to ``account``."""
        return self._add(account, amount, 1)

    def credit(self, account: Account, amount: Money) -> TransactionBuilder:
        """Add a credit of ``amount`` (non-negative) to ``account``."""
        return self._add(account, amount, -1)

    def _add(self, account: Account, amount: Money, sign: int) -> TransactionBuilder:
        if amount.amount_minor < 0:
            raise ValidationError("ledger legs are built from non-negative amounts", field="amount")
        if amount.currency != account.currency:
            raise ValidationError("posting currency differs from its account", field="amount")
        self._legs[account] = self._legs.get(account, 0) + sign * amount.amount_minor
        return self

    def build(self) -> LedgerTransaction | None:
        """The balanced transaction, or ``None`` if every leg is zero."""
        postings = tuple(
            Posting(account, Money(amount, account.currency))
            for account, amount in sorted(self._legs.items())
            if amount != 0
        )
        if not postings:
            return None
        return LedgerTransaction(
            key=self.key,
            postings=postings,
            occurred_at=self.occurred_at,
            description=self.description,
            escrow_id=self.escrow_id,
        )
