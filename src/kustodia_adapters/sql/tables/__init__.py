"""The schema: Core tables on one ``MetaData`` whose naming convention names every constraint.

Money is ``BIGINT`` minor units beside a currency code; timestamps are UTC
(:class:`~kustodia_adapters.sql.types.UtcDateTime`). Importing this package registers every
table on :data:`metadata`, which is what Alembic compares the database with. Why each
constraint exists is recorded in ``docs/adr/0004-persistence.md``.
"""

from kustodia_adapters.sql.tables.aggregates import (
    disputes,
    escrow_deposits,
    escrow_participants,
    escrow_payouts,
    escrow_settlements,
    escrows,
    users,
)
from kustodia_adapters.sql.tables.base import NAMING_CONVENTION, metadata
from kustodia_adapters.sql.tables.ledger import (
    ledger_balances,
    ledger_postings,
    ledger_transactions,
)
from kustodia_adapters.sql.tables.records import (
    events,
    notifications,
    outbox_messages,
    unmatched_deposits,
)

__all__ = [
    "NAMING_CONVENTION",
    "disputes",
    "escrow_deposits",
    "escrow_participants",
    "escrow_payouts",
    "escrow_settlements",
    "escrows",
    "events",
    "ledger_balances",
    "ledger_postings",
    "ledger_transactions",
    "metadata",
    "notifications",
    "outbox_messages",
    "unmatched_deposits",
    "users",
]
