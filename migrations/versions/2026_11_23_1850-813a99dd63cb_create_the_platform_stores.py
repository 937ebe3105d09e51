"""Create the platform stores: tickets, the audit chain, credentials, idempotency keys, receipts.

Audit entries are append-only: triggers refuse UPDATE and DELETE (and on PostgreSQL TRUNCATE),
as for the ledger. ``audit_chain_lock`` holds the one row every append updates first.

Revision ID: 813a99dd63cb
Revises: ce09d9c2161d
Created: 2026-11-23 18:50:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "813a99dd63cb"
down_revision: str | Sequence[str] | None = "ce09d9c2161d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
GENESIS_HASH = "0" * 64

PG_REFUSE = """
CREATE FUNCTION audit_entries_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _create_tickets() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("replies", DOCUMENT, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'closed')", name=op.f("ck_tickets_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    op.create_index("ix_tickets_owner_id_created_at", "tickets", ["owner_id", "created_at", "id"])
    op.create_index("ix_tickets_status_created_at", "tickets", ["status", "created_at", "id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at", "id"])


def _create_audit_chain() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.Text(), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("details", DOCUMENT, nullable=False),
        sa.Column("previous_hash", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_audit_entries_sequence_positive")),
        sa.CheckConstraint(
            f"(sequence = 1) = (previous_hash = '{GENESIS_HASH}')",
            name=op.f("ck_audit_entries_genesis_starts_the_chain"),
        ),
        sa.CheckConstraint(
            "length(hash) = 64 AND length(previous_hash) = 64",
            name=op.f("ck_audit_entries_hashes_are_sha256"),
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_audit_entries_previous_hash")),
    )
    op.create_table(
        "audit_chain_lock",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_lock_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_lock")),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        op.execute(
            "CREATE TRIGGER trg_audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_are_append_only()"
        )
        op.execute(
            "CREATE TRIGGER trg_audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_are_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER trg_audit_entries_no_{operation.lower()} BEFORE {operation} "
            "ON audit_entries BEGIN SELECT RAISE(ABORT, "
            f"'audit entries are append-only: {operation} refused'); END"
        )


def _create_credentials() -> None:
    op.create_table(
        "password_hashes",
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_password_hashes")),
    )
    op.create_table(
        "login_throttles",
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_login_throttles_email_lower_case")
        ),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_login_throttles_failures_not_negative")),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_id", sa.Text(), nullable=False),
        sa.Column("family_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("secret_sha256", sa.Text(), nullable=False),
        sa.Column("issued_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("used_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("revoked_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"])


def _create_replay_protection() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("response_status", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_media_type", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(response_status IS NULL) = (response_body IS NULL) "
            "AND (response_status IS NULL) = (response_media_type IS NULL)",
            name=op.f("ck_idempotency_keys_response_whole"),
        ),
        sa.CheckConstraint(
            "response_status BETWEEN 100 AND 599",
            name=op.f("ck_idempotency_keys_response_status_http"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "webhook_receipts",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("first_seen_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_webhook_receipts")),
    )


def upgrade() -> None:
    _create_tickets()
    _create_audit_chain()
    _create_credentials()
    _create_replay_protection()


def downgrade() -> None:
    for table in (
        "webhook_receipts",
        "idempotency_keys",
        "refresh_tokens",
        "login_throttles",
        "password_hashes",
        "audit_chain_lock",
        "audit_entries",
        "tickets",
    ):
        # Dropping a table drops its indexes, constraints and triggers with it.
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_entries_are_append_only()")
