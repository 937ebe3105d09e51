"""The schema: Core tables on one ``MetaData`` whose naming convention names every constraint.

Money is ``BIGINT`` minor units beside a currency code; timestamps are UTC
(:class:`~kustodia_adapters.sql.types.UtcDateTime`). Importing this package registers every
table on :data:`metadata`, which is what Alembic compares the database with. Why each
constraint exists is recorded in ``docs/adr/0004-persistence.md``.
"""

from kustodia_adapters.sql.tables.admin_search import ESCROW_SEARCH_INDEXES, USER_SEARCH_INDEXES
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
from kustodia_adapters.sql.tables.fraud import (
    party_profiles,
    risk_alerts,
    risk_history,
    risk_history_keys,
    risk_history_values,
    risk_list_entries,
    risk_list_name_tokens,
    risk_overrides,
)
from kustodia_adapters.sql.tables.ledger import (
    ledger_balances,
    ledger_postings,
    ledger_transactions,
)
from kustodia_adapters.sql.tables.platform import (
    audit_chain_lock,
    audit_entries,
    blobs,
    idempotency_keys,
    kyc_sessions,
    login_throttles,
    password_hashes,
    reconciliation_differences,
    refresh_tokens,
    tickets,
    webhook_receipts,
)
from kustodia_adapters.sql.tables.records import (
    audit_pending,
    events,
    notifications,
    outbox_messages,
    unmatched_deposits,
)

__all__ = [
    "ESCROW_SEARCH_INDEXES",
    "NAMING_CONVENTION",
    "USER_SEARCH_INDEXES",
    "audit_chain_lock",
    "audit_entries",
    "audit_pending",
    "blobs",
    "disputes",
    "escrow_deposits",
    "escrow_participants",
    "escrow_payouts",
    "escrow_settlements",
    "escrows",
    "events",
    "idempotency_keys",
    "kyc_sessions",
    "ledger_balances",
    "ledger_postings",
    "ledger_transactions",
    "login_throttles",
    "metadata",
    "notifications",
    "outbox_messages",
    "party_profiles",
    "password_hashes",
    "reconciliation_differences",
    "refresh_tokens",
    "risk_alerts",
    "risk_history",
    "risk_history_keys",
    "risk_history_values",
    "risk_list_entries",
    "risk_list_name_tokens",
    "risk_overrides",
    "tickets",
    "unmatched_deposits",
    "users",
    "webhook_receipts",
]
