"""Ledger accounts and their sign conventions.

Postings are signed: a positive amount debits the account, a negative amount credits it
(see :func:`kustodia_domain.ledger.transactions.debit` and ``credit``). Each
account kind has a normal side; ``balance`` in normal-side terms is what an account "holds"
(cash at the rail for the asset account, what is owed for the liability accounts). Accounts
flagged ``never_negative`` must never hold less than zero in normal-side terms: the ledger
refuses a transaction that would make them.
"""

from __future__ import annotations

from enum import StrEnum

import attrs

from kustodia_domain.shared.immutable import immutable
from kustodia_domain.shared.money import Currency


class AccountKind(StrEnum):
    """The kinds of account the platform keeps."""

    RAIL_CASH = "rail_cash"
    """Asset: client money at the SPEI provider (clearing)."""
    ESCROW_CUSTODY = "escrow_custody"
    """Liability, one per escrow: money held in custody for that escrow."""
    USER_PAYABLE = "user_payable"
    """Liability, one per user: owed to the user and awaiting a confirmed payout."""
    PLATFORM_FEES = "platform_fees"
    """Liability to the platform: fees earned, awaiting the sweep to the treasury account."""
    YIELD_RECEIVABLE = "yield_receivable"
    """Asset: yield accrued on custody balances, not yet collected as cash."""
    ESCROW_YIELD = "escrow_yield"
    """Liability, one per escrow: yield accrued on that escrow's custody, split at settlement."""
    PLATFORM_YIELD = "platform_yield"
    """Liability to the platform: its share of yield, awaiting the sweep."""
    SUSPENSE = "suspense"
    """Liability: deposits that matched no escrow, awaiting reconciliation."""


_DEBIT_NORMAL = frozenset({AccountKind.RAIL_CASH, AccountKind.YIELD_RECEIVABLE})
_SCOPED = frozenset(
    {AccountKind.ESCROW_CUSTODY, AccountKind.USER_PAYABLE, AccountKind.ESCROW_YIELD}
)


@immutable
@attrs.frozen(order=True)
class Account:
    """An account: a kind, an owner for per-escrow and per-user kinds, and a currency.

    Raises:
        ValueError: a scoped kind without an owner, or a platform-wide kind with one.
    """

    kind: AccountKind
    owner: str | None
    currency: Currency = attrs.field(order=lambda c: c.code)

    def __attrs_post_init__(self) -> None:
        if (self.kind in _SCOPED) != (self.owner is not None):
            raise ValueError(f"account {self.kind} owner mismatch: {self.owner!r}")

    @property
    def debit_normal(self) -> bool:
        """Whether a debit increases what the account holds (assets)."""
        return self.kind in _DEBIT_NORMAL

    @property
    def never_negative(self) -> bool:
        """Every account the platform keeps must never hold less than zero."""
        return True

    @property
    def code(self) -> str:
        """A stable textual key, e.g. ``escrow_custody:esc_1:MXN``."""
        owner = f":{self.owner}" if self.owner is not None else ""
        return f"{self.kind.value}{owner}:{self.currency.code}"

    @classmethod
    def rail_cash(cls, currency: Currency) -> Account:
        """The client-money cash account at the rail."""
        return cls(AccountKind.RAIL_CASH, None, currency)

    @classmethod
    def custody(cls, escrow_id: str, currency: Currency) -> Account:
        """The custody account of one escrow."""
        return cls(AccountKind.ESCROW_CUSTODY, escrow_id, currency)

    @classmethod
    def payable(cls, user_id: str, currency: Currency) -> Account:
        """What the platform owes one user pending payout."""
        return cls(AccountKind.USER_PAYABLE, user_id, currency)

    @classmethod
    def platform_fees(cls, currency: Currency) -> Account:
        """Fees the platform earned, pending the treasury sweep."""
        return cls(AccountKind.PLATFORM_FEES, None, currency)

    @classmethod
    def yield_receivable(cls, currency: Currency) -> Account:
        """Yield accrued on custody balances and not yet collected."""
        return cls(AccountKind.YIELD_RECEIVABLE, None, currency)

    @classmethod
    def escrow_yield(cls, escrow_id: str, currency: Currency) -> Account:
        """Yield accrued on one escrow's custody."""
        return cls(AccountKind.ESCROW_YIELD, escrow_id, currency)

    @classmethod
    def platform_yield(cls, currency: Currency) -> Account:
        """The platform's share of yield, pending the treasury sweep."""
        return cls(AccountKind.PLATFORM_YIELD, None, currency)

    @classmethod
    def suspense(cls, currency: Currency) -> Account:
        """Deposits that matched nothing."""
        return cls(AccountKind.SUSPENSE, None, currency)
