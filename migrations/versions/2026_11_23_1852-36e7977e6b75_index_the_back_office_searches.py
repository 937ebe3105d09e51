"""Index the back office's searches: escrows newest first, by state, awaiting review; users.

On PostgreSQL the user search gets trigram GIN indexes (extension ``pg_trgm``) that serve
``LIKE``/``ILIKE '%...%'``; on SQLite the same names are plain indexes.

Revision ID: 36e7977e6b75
Revises: 7f919912c520
Created: 2026-11-23 18:52:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "36e7977e6b75"
down_revision: str | Sequence[str] | None = "7f919912c520"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_SEARCH_COLUMNS = ("email", "full_name")


def upgrade() -> None:
    op.create_index("ix_escrows_created_at", "escrows", ["created_at", "id"])
    op.create_index("ix_escrows_state_created_at", "escrows", ["state", "created_at", "id"])
    op.create_index(
        "ix_escrows_needs_review",
        "escrows",
        ["created_at", "id"],
        postgresql_where=sa.text("needs_review"),
        sqlite_where=sa.text("needs_review = 1"),
    )
    if op.get_context().dialect.name == "postgresql":
        # A trusted extension since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in USER_SEARCH_COLUMNS:
        op.create_index(
            f"ix_users_{column}_trigram",
            "users",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    for column in USER_SEARCH_COLUMNS:
        op.drop_index(f"ix_users_{column}_trigram", table_name="users")
    # pg_trgm stays: other objects of the database may use it, and it holds no data.
    for name in ("ix_escrows_needs_review", "ix_escrows_state_created_at", "ix_escrows_created_at"):
        op.drop_index(name, table_name="escrows")
