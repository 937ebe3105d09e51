"""Indexes of the back office's searches over the aggregate tables.

The back office reads committed escrows and users (``kustodia_adapters.sql.platform.back_office``):
escrows newest first, optionally by state or awaiting review; users by a fragment of their
e-mail or name. Searches by party use ``ix_escrow_participants_user_id_created_at`` and by
reference ``uq_escrows_reference``, which exist already. On PostgreSQL the user search is a
trigram (``pg_trgm``) GIN index on each column, which serves ``LIKE``/``ILIKE '%...%'``; SQLite
has no such index and builds a plain one, which its substring search cannot use.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from kustodia_adapters.sql.tables.aggregates import escrows, users

_e = escrows.c

ESCROW_SEARCH_INDEXES = (
    Index("ix_escrows_created_at", _e.created_at, _e.id),
    Index("ix_escrows_state_created_at", _e.state, _e.created_at, _e.id),
    Index(
        "ix_escrows_needs_review",
        _e.created_at,
        _e.id,
        # Spelled as each dialect renders a bare ``needs_review``, so the planners match it.
        postgresql_where=text("needs_review"),
        sqlite_where=text("needs_review = 1"),
    ),
)

USER_SEARCH_INDEXES = tuple(
    Index(
        f"ix_users_{column}_trigram",
        users.c[column],
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )
    for column in ("email", "full_name")
)
