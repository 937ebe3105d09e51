"""Tables of the aggregates: users, escrows with their write-once child rows, disputes.

An aggregate's queried and constrained fields are columns; its nested parts (payouts, deposits,
milestones, dispute messages...) travel in one JSON ``document``. The write-once facts among
those parts that need a constraint or a lookup (deposit tracking keys, payout ids, the
settlement) are also rows of child tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
)

from kustodia_adapters.sql.tables.base import metadata, money, one_of
from kustodia_adapters.sql.types import DOCUMENT, UtcDateTime
from kustodia_domain.escrow.states import EscrowState

ESCROW_STATES = tuple(state.value for state in EscrowState)


users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("full_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("kyc_level", Text, nullable=False),
    Column("deposit_clabe", Text, nullable=False, unique=True),
    Column("payout_clabe", Text),
    Column("payout_holder_name", Text),
    Column("payout_account_changed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # The unique index on email is case-insensitive only if every stored e-mail is lower-case.
    CheckConstraint("email = lower(email)", name="email_lower_case"),
    CheckConstraint(
        "(payout_clabe IS NULL) = (payout_holder_name IS NULL)", name="payout_account_whole"
    ),
)

escrows = Table(
    "escrows",
    metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("payer_id", Text, nullable=False),
    Column("payee_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    money("amount_minor"),
    money("fee_minor"),
    money("custody_balance_minor"),
    money("yield_accrued_minor"),
    Column("yield_carry", BigInteger, nullable=False),
    Column("yield_accrued_through", Date),
    Column("custody_percent", SmallInteger, nullable=False),
    Column("custody_days", SmallInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("release_conditions", Text, nullable=False),
    Column("reference", Text, nullable=False, unique=True),
    Column("deposit_clabe", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("funding_deadline", UtcDateTime),
    Column("funded_at", UtcDateTime),
    Column("custody_ends_at", UtcDateTime),
    Column("settled_at", UtcDateTime),
    Column("last_reminded_at", UtcDateTime),
    Column("payer_approved", Boolean, nullable=False),
    Column("payee_approved", Boolean, nullable=False),
    Column("needs_review", Boolean, nullable=False),
    Column("dispute_id", Text),
    Column("hold_reason", Text),
    Column("event_sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", DOCUMENT, nullable=False),
    CheckConstraint(one_of("state", ESCROW_STATES), name="state_known"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
    CheckConstraint("custody_balance_minor >= 0", name="custody_balance_not_negative"),
    CheckConstraint("yield_accrued_minor >= 0", name="yield_not_negative"),
    CheckConstraint("custody_percent BETWEEN 0 AND 100", name="custody_percent_range"),
    CheckConstraint("payer_id <> payee_id", name="parties_differ"),
    Index("ix_escrows_state_funding_deadline", "state", "funding_deadline"),
    Index("ix_escrows_state_custody_ends_at", "state", "custody_ends_at"),
    # The scheduler's daily yield (DueWork): escrows in custody not accrued through yesterday.
    Index("ix_escrows_state_yield_accrued_through", "state", "yield_accrued_through"),
)

escrow_participants = Table(
    "escrow_participants",
    metadata,
    Column("escrow_id", Text, ForeignKey("escrows.id"), primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(one_of("role", ("payer", "payee", "broker")), name="role_known"),
    # "My escrows, newest first" is one range scan of this index.
    Index("ix_escrow_participants_user_id_created_at", "user_id", "created_at", "escrow_id"),
)

escrow_deposits = Table(
    "escrow_deposits",
    metadata,
    Column("tracking_key", Text, primary_key=True),
    Column("escrow_id", Text, ForeignKey("escrows.id"), nullable=False, index=True),
    Column("currency", Text, nullable=False),
    money("amount_minor"),
    money("applied_minor"),
    money("excess_minor"),
    Column("source_clabe", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("applied_minor + excess_minor = amount_minor", name="amount_accounted"),
)

escrow_payouts = Table(
    "escrow_payouts",
    metadata,
    Column("payout_id", Text, primary_key=True),
    Column("escrow_id", Text, ForeignKey("escrows.id"), nullable=False, index=True),
    Column("idempotency_key", Text, nullable=False, unique=True),
    Column("leg", Text, nullable=False),
    Column("beneficiary_id", Text),
    Column("currency", Text, nullable=False),
    money("amount_minor"),
    Column("destination_clabe", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
)

escrow_settlements = Table(
    "escrow_settlements",
    metadata,
    # The primary key is the rule: an escrow is settled (released, refunded or split) once.
    Column("escrow_id", Text, ForeignKey("escrows.id"), primary_key=True),
    Column("settled_at", UtcDateTime, nullable=False),
)

disputes = Table(
    "disputes",
    metadata,
    Column("id", Text, primary_key=True),
    Column("escrow_id", Text, nullable=False, index=True),
    Column("payer_id", Text, nullable=False, index=True),
    Column("payee_id", Text, nullable=False, index=True),
    Column("opened_by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("response_due_at", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False),
    Column("resolution", Text),
    Column("resolution_proposed_at", UtcDateTime),
    Column("event_sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", DOCUMENT, nullable=False),
    CheckConstraint(
        one_of("status", ("open", "awaiting_second_approval", "resolved")), name="status_known"
    ),
    CheckConstraint(
        "(status = 'resolved') = (resolution IS NOT NULL)", name="resolved_has_resolution"
    ),
)
