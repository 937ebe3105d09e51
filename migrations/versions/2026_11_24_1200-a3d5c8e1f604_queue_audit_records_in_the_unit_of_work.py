"""Queue audit records in the unit of work that made the change they describe.

An audit entry used to be appended after its command committed, in a transaction of its own:
a failure between the two lost the entry, or answered 5xx for work that was done, which freed
the request's idempotency key for a retry to do the work again. Records are now written in
the command's own transaction into ``audit_pending`` and moved onto the chain
(``audit_entries``) afterwards, each in the same transaction as its deletion from the queue.

Revision ID: a3d5c8e1f604
Revises: 4b8e1f2c9a70
Created: 2026-11-24 12:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "a3d5c8e1f604"
down_revision: str | Sequence[str] | None = "4b8e1f2c9a70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("details", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )


def downgrade() -> None:
    # Dropping records not chained yet would lose them: chain them first (run the worker).
    if not context.is_offline_mode():
        waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_pending")).scalar()
        if waiting:
            raise RuntimeError(f"audit_pending holds {waiting} records not chained yet")
    op.drop_table("audit_pending")
