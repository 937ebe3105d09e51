"""Create the event log, the outbox, notifications and the unmatched-deposit queue.

Revision ID: ce09d9c2161d
Revises: 942e87a396ed
Created: 2026-11-23 18:17:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "ce09d9c2161d"
down_revision: str | Sequence[str] | None = "942e87a396ed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _partial(condition: str) -> dict[str, sa.TextClause]:
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("aggregate_id", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("payload", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "aggregate_id", "sequence", name=op.f("uq_events_aggregate_id_sequence")
        ),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("payload", DOCUMENT, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("dispatched_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_messages_key")),
    )
    op.create_index(
        "ix_outbox_messages_pending",
        "outbox_messages",
        ["created_at", "id"],
        **_partial("dispatched_at IS NULL"),
    )
    op.create_table(
        "notifications",
        sa.Column("seq", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_notifications")),
        sa.UniqueConstraint("id", name=op.f("uq_notifications_id")),
    )
    op.create_index(
        "ix_notifications_user_id_created_at",
        "notifications",
        ["user_id", "created_at", "seq"],
    )
    op.create_table(
        "unmatched_deposits",
        sa.Column("tracking_key", sa.Text(), nullable=False),
        sa.Column("clabe", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("source_clabe", sa.Text(), nullable=False),
        sa.Column("sender_name", sa.Text(), nullable=False),
        sa.Column("received_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_unmatched_deposits_amount_positive")),
        sa.PrimaryKeyConstraint("tracking_key", name=op.f("pk_unmatched_deposits")),
    )
    op.create_index(
        "ix_unmatched_deposits_open",
        "unmatched_deposits",
        ["received_at"],
        **_partial("NOT resolved"),
    )


def downgrade() -> None:
    for table in ("unmatched_deposits", "notifications", "outbox_messages", "events"):
        op.drop_table(table)
