"""Index escrows by state and the day their yield has accrued through.

The scheduler lists only the escrows with work (``DueWork``): among those in custody, the ones
whose yield has not accrued through yesterday. Until now it listed every escrow in custody at
every run.

Revision ID: 4b8e1f2c9a70
Revises: dc97005dbd2c
Created: 2026-11-24 11:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "4b8e1f2c9a70"
down_revision: str | Sequence[str] | None = "dc97005dbd2c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_escrows_state_yield_accrued_through",
        "escrows",
        ["state", "yield_accrued_through"],
    )


def downgrade() -> None:
    op.drop_index("ix_escrows_state_yield_accrued_through", table_name="escrows")
