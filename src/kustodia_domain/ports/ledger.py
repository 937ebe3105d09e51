"""The ledger port: append-only, idempotent, never overdrawn."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Protocol

from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import LedgerTransaction


class Ledger(Protocol):
    """Stores balanced transactions; never updates or deletes one.

    ``post`` writes a transaction once per key: the same key with the same postings and escrow
    tag is a no-op (returns ``False``); with different postings, or tagged with another escrow
    (or untagged), it raises ``IdempotencyConflictError``. A
    transaction that would leave any account holding less than zero raises
    ``NegativeBalanceError`` and writes nothing.
    """

    @abstractmethod
    async def post(self, transaction: LedgerTransaction) -> bool:
        """Write ``transaction``; ``True`` if written, ``False`` if it was already there."""

    @abstractmethod
    async def balance(self, account: Account) -> int:
        """What ``account`` holds, in minor units (normal-side terms)."""

    @abstractmethod
    async def signed_totals(self) -> Mapping[Account, int]:
        """Signed (debit-positive) totals of every account; they sum to zero."""

    @abstractmethod
    async def transactions_for_escrow(self, escrow_id: str) -> Sequence[LedgerTransaction]:
        """Transactions tagged with ``escrow_id``, oldest first."""
