"""Lease outbox messages to workers: attempts, leases, retries and dead letters.

A worker claims a message by setting ``leased_by``/``leased_until`` (and counting an
attempt); a failed attempt waits until ``retry_at``; a message given up on gets ``dead_at``.
The partial indexes serve the claim (pending messages of a topic, oldest first) and the
admins' dead-letter list.

Revision ID: 5e0c3a7d41b2
Revises: 36e7977e6b75
Created: 2026-11-24 09:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e0c3a7d41b2"
down_revision: str | Sequence[str] | None = "36e7977e6b75"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
CLAIMABLE = "dispatched_at IS NULL AND dead_at IS NULL"
DEAD = "dead_at IS NOT NULL"
NEW_COLUMNS = ("attempts", "leased_by", "leased_until", "retry_at", "last_error", "dead_at")


def upgrade() -> None:
    op.add_column(
        "outbox_messages",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("outbox_messages", sa.Column("leased_by", sa.Text(), nullable=True))
    op.add_column("outbox_messages", sa.Column("leased_until", UTC_TIMESTAMP, nullable=True))
    op.add_column("outbox_messages", sa.Column("retry_at", UTC_TIMESTAMP, nullable=True))
    op.add_column("outbox_messages", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("outbox_messages", sa.Column("dead_at", UTC_TIMESTAMP, nullable=True))
    op.create_index(
        "ix_outbox_messages_claimable",
        "outbox_messages",
        ["topic", "created_at", "id"],
        postgresql_where=sa.text(CLAIMABLE),
        sqlite_where=sa.text(CLAIMABLE),
    )
    op.create_index(
        "ix_outbox_messages_dead",
        "outbox_messages",
        ["dead_at"],
        postgresql_where=sa.text(DEAD),
        sqlite_where=sa.text(DEAD),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_dead", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_claimable", table_name="outbox_messages")
    for column in reversed(NEW_COLUMNS):
        op.drop_column("outbox_messages", column)
