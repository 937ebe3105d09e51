"""Tables of the ledger: transactions and their postings (append-only), running balances.

Triggers created by the migration refuse UPDATE and DELETE of transactions and postings.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, SmallInteger, Table, Text

from kustodia_adapters.sql.tables.base import metadata, money
from kustodia_adapters.sql.types import SURROGATE_KEY, UtcDateTime

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),
    Column("escrow_id", Text, index=True),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("description", Text, nullable=False),
)

ledger_postings = Table(
    "ledger_postings",
    metadata,
    Column("transaction_id", SURROGATE_KEY, ForeignKey("ledger_transactions.id"), primary_key=True),
    Column("leg", SmallInteger, primary_key=True),
    Column("account_kind", Text, nullable=False),
    Column("account_owner", Text),
    Column("currency", Text, nullable=False),
    money("amount_minor"),
    CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
)

ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("account", Text, primary_key=True),
    Column("account_kind", Text, nullable=False),
    Column("account_owner", Text),
    Column("currency", Text, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    # The last line behind the ledger's own check: no account ever holds less than zero
    # (assets hold their debit total, every other kind its credit total).
    CheckConstraint(
        "CASE WHEN account_kind IN ('rail_cash', 'yield_receivable') "
        "THEN total_minor >= 0 ELSE total_minor <= 0 END",
        name="never_negative",
    ),
)
