"""Store evidence blobs, KYC sessions and the queue of reconciliation differences.

Until now these lived in process on the SQL deployments, and a restart lost them. Blobs are
content-addressed (the primary key is the SHA-256 of the bytes); a KYC session is keyed by the
provider's session id; a difference by its kind and subject, the queue's de-duplication key,
with a partial index of the open ones, oldest found first.

Revision ID: dc97005dbd2c
Revises: 5e0c3a7d41b2
Created: 2026-11-24 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dc97005dbd2c"
down_revision: str | Sequence[str] | None = "5e0c3a7d41b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
KYC_LEVELS = "'N1', 'N2', 'N3', 'N4'"
DIFFERENCE_KINDS = (
    "'missing_deposit', 'unknown_deposit', 'deposit_amount_mismatch', 'unconfirmed_payout', "
    "'returned_payout', 'unrecorded_payout', 'payout_amount_mismatch', 'payout_status_mismatch'"
)
OPEN = "resolved_at IS NULL"


def _create_blobs() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_blobs_key_is_sha256")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )


def _create_kyc_sessions() -> None:
    op.create_table(
        "kyc_sessions",
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("target_level", sa.Text(), nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("verified_level", sa.Text(), nullable=True),
        sa.Column("reasons", DOCUMENT, nullable=False),
        sa.Column("settled_at", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            f"target_level IN ({KYC_LEVELS})", name=op.f("ck_kyc_sessions_target_level_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_kyc_sessions_status_known"),
        ),
        sa.CheckConstraint(
            f"verified_level IN ({KYC_LEVELS})",
            name=op.f("ck_kyc_sessions_verified_level_known"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (settled_at IS NULL)",
            name=op.f("ck_kyc_sessions_settled_exactly_when_not_pending"),
        ),
        sa.CheckConstraint(
            "(status = 'approved') = (verified_level IS NOT NULL)",
            name=op.f("ck_kyc_sessions_verified_exactly_when_approved"),
        ),
        sa.CheckConstraint(
            "verified_level <= target_level", name=op.f("ck_kyc_sessions_verified_within_target")
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_kyc_sessions")),
    )


def _create_reconciliation_differences() -> None:
    op.create_table(
        "reconciliation_differences",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("rail_currency", sa.Text(), nullable=True),
        sa.Column("rail_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("recorded_currency", sa.Text(), nullable=True),
        sa.Column("recorded_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("rail_status", sa.Text(), nullable=True),
        sa.Column("recorded_status", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("period_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("period_end", UTC_TIMESTAMP, nullable=False),
        sa.Column("found_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("resolved_at", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            f"kind IN ({DIFFERENCE_KINDS})", name=op.f("ck_reconciliation_differences_kind_known")
        ),
        sa.CheckConstraint(
            "(rail_currency IS NULL) = (rail_amount_minor IS NULL)",
            name=op.f("ck_reconciliation_differences_rail_amount_whole"),
        ),
        sa.CheckConstraint(
            "(recorded_currency IS NULL) = (recorded_amount_minor IS NULL)",
            name=op.f("ck_reconciliation_differences_recorded_amount_whole"),
        ),
        sa.CheckConstraint(
            "period_start < period_end",
            name=op.f("ck_reconciliation_differences_period_not_empty"),
        ),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_reconciliation_differences")),
    )
    op.create_index(
        "ix_reconciliation_differences_open",
        "reconciliation_differences",
        ["found_at", "kind", "subject"],
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def upgrade() -> None:
    _create_blobs()
    _create_kyc_sessions()
    _create_reconciliation_differences()


def downgrade() -> None:
    for table in ("reconciliation_differences", "kyc_sessions", "blobs"):
        # Dropping a table drops its indexes and constraints with it.
        op.drop_table(table)
