"""Create users, escrows with their write-once child rows, and disputes.

Revision ID: 186b72ab9567
Revises:
Created: 2026-11-23 18:15:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "186b72ab9567"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

ESCROW_STATES = (
    "'requested', 'awaiting_funds', 'funded', 'on_hold', 'disputed', 'released', 'refunded', "
    "'split', 'completed', 'cancelled', 'expired'"
)


def _create_users() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("kyc_level", sa.Text(), nullable=False),
        sa.Column("deposit_clabe", sa.Text(), nullable=False),
        sa.Column("payout_clabe", sa.Text(), nullable=True),
        sa.Column("payout_holder_name", sa.Text(), nullable=True),
        sa.Column("payout_account_changed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lower_case")),
        sa.CheckConstraint(
            "(payout_clabe IS NULL) = (payout_holder_name IS NULL)",
            name=op.f("ck_users_payout_account_whole"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("deposit_clabe", name=op.f("uq_users_deposit_clabe")),
    )


def _create_escrows() -> None:
    op.create_table(
        "escrows",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("payer_id", sa.Text(), nullable=False),
        sa.Column("payee_id", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("custody_balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("yield_accrued_minor", sa.BigInteger(), nullable=False),
        sa.Column("yield_carry", sa.BigInteger(), nullable=False),
        sa.Column("yield_accrued_through", sa.Date(), nullable=True),
        sa.Column("custody_percent", sa.SmallInteger(), nullable=False),
        sa.Column("custody_days", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("release_conditions", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("deposit_clabe", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("funding_deadline", UTC_TIMESTAMP, nullable=True),
        sa.Column("funded_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("custody_ends_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("settled_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("last_reminded_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("payer_approved", sa.Boolean(), nullable=False),
        sa.Column("payee_approved", sa.Boolean(), nullable=False),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("dispute_id", sa.Text(), nullable=True),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.CheckConstraint(f"state IN ({ESCROW_STATES})", name=op.f("ck_escrows_state_known")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_escrows_amount_positive")),
        sa.CheckConstraint("fee_minor >= 0", name=op.f("ck_escrows_fee_not_negative")),
        sa.CheckConstraint(
            "custody_balance_minor >= 0", name=op.f("ck_escrows_custody_balance_not_negative")
        ),
        sa.CheckConstraint("yield_accrued_minor >= 0", name=op.f("ck_escrows_yield_not_negative")),
        sa.CheckConstraint(
            "custody_percent BETWEEN 0 AND 100", name=op.f("ck_escrows_custody_percent_range")
        ),
        sa.CheckConstraint("payer_id <> payee_id", name=op.f("ck_escrows_parties_differ")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escrows")),
        sa.UniqueConstraint("reference", name=op.f("uq_escrows_reference")),
    )
    op.create_index("ix_escrows_state_funding_deadline", "escrows", ["state", "funding_deadline"])
    op.create_index("ix_escrows_state_custody_ends_at", "escrows", ["state", "custody_ends_at"])


def _create_escrow_children() -> None:
    op.create_table(
        "escrow_participants",
        sa.Column("escrow_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "role IN ('payer', 'payee', 'broker')", name=op.f("ck_escrow_participants_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["escrow_id"], ["escrows.id"], name=op.f("fk_escrow_participants_escrow_id_escrows")
        ),
        sa.PrimaryKeyConstraint("escrow_id", "user_id", name=op.f("pk_escrow_participants")),
    )
    op.create_index(
        "ix_escrow_participants_user_id_created_at",
        "escrow_participants",
        ["user_id", "created_at", "escrow_id"],
    )
    op.create_table(
        "escrow_deposits",
        sa.Column("tracking_key", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("applied_minor", sa.BigInteger(), nullable=False),
        sa.Column("excess_minor", sa.BigInteger(), nullable=False),
        sa.Column("source_clabe", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_escrow_deposits_amount_positive")),
        sa.CheckConstraint(
            "applied_minor + excess_minor = amount_minor",
            name=op.f("ck_escrow_deposits_amount_accounted"),
        ),
        sa.ForeignKeyConstraint(
            ["escrow_id"], ["escrows.id"], name=op.f("fk_escrow_deposits_escrow_id_escrows")
        ),
        sa.PrimaryKeyConstraint("tracking_key", name=op.f("pk_escrow_deposits")),
    )
    op.create_index(op.f("ix_escrow_deposits_escrow_id"), "escrow_deposits", ["escrow_id"])
    op.create_table(
        "escrow_payouts",
        sa.Column("payout_id", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("leg", sa.Text(), nullable=False),
        sa.Column("beneficiary_id", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("destination_clabe", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_escrow_payouts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["escrow_id"], ["escrows.id"], name=op.f("fk_escrow_payouts_escrow_id_escrows")
        ),
        sa.PrimaryKeyConstraint("payout_id", name=op.f("pk_escrow_payouts")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_escrow_payouts_idempotency_key")),
    )
    op.create_index(op.f("ix_escrow_payouts_escrow_id"), "escrow_payouts", ["escrow_id"])
    op.create_table(
        "escrow_settlements",
        sa.Column("escrow_id", sa.Text(), nullable=False),
        sa.Column("settled_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["escrow_id"], ["escrows.id"], name=op.f("fk_escrow_settlements_escrow_id_escrows")
        ),
        sa.PrimaryKeyConstraint("escrow_id", name=op.f("pk_escrow_settlements")),
    )


def _create_disputes() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=False),
        sa.Column("payer_id", sa.Text(), nullable=False),
        sa.Column("payee_id", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("opened_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("response_due_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolution_proposed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", DOCUMENT, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'awaiting_second_approval', 'resolved')",
            name=op.f("ck_disputes_status_known"),
        ),
        sa.CheckConstraint(
            "(status = 'resolved') = (resolution IS NOT NULL)",
            name=op.f("ck_disputes_resolved_has_resolution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    for column in ("escrow_id", "payer_id", "payee_id"):
        op.create_index(op.f(f"ix_disputes_{column}"), "disputes", [column])


def upgrade() -> None:
    _create_users()
    _create_escrows()
    _create_escrow_children()
    _create_disputes()


def downgrade() -> None:
    for table in (
        "disputes",
        "escrow_settlements",
        "escrow_payouts",
        "escrow_deposits",
        "escrow_participants",
        "escrows",
        "users",
    ):
        # Dropping a table drops its indexes and constraints with it.
        op.drop_table(table)
