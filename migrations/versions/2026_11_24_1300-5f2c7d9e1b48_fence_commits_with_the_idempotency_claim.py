"""Mark an idempotency claim committed in the transaction of its request's work.

A request's claim on its ``Idempotency-Key`` was a lease only: a request that died after its
work committed and before its response was stored left a claim that a retry took over after
five minutes, and ran the request again (a second escrow). Each unit of work of the request
now updates its claim when it commits (``committed_at``), and commits only if the claim is
still its own; a claim marked so is never taken over nor released.

Downgrading drops the marks: a claim whose response was lost can then be taken over again.

Revision ID: 5f2c7d9e1b48
Revises: a3d5c8e1f604
Created: 2026-11-24 13:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f2c7d9e1b48"
down_revision: str | Sequence[str] | None = "a3d5c8e1f604"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("idempotency_keys", sa.Column("committed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("committed_at")
