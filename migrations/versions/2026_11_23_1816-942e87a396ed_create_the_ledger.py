"""Create the ledger: transactions, postings, running balances; ledger rows are append-only.

Triggers refuse UPDATE and DELETE (and on PostgreSQL TRUNCATE) of transactions and postings,
so not even a mistaken script or an admin session can rewrite the books.

Revision ID: 942e87a396ed
Revises: 186b72ab9567
Created: 2026-11-23 18:16:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "942e87a396ed"
down_revision: str | Sequence[str] | None = "186b72ab9567"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LEDGER_TABLES = ("ledger_transactions", "ledger_postings")

PG_REFUSE = """
CREATE FUNCTION ledger_rows_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _create_tables() -> None:
    op.create_table(
        "ledger_transactions",
        sa.Column("id", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_transactions_key")),
    )
    op.create_index(op.f("ix_ledger_transactions_escrow_id"), "ledger_transactions", ["escrow_id"])
    op.create_table(
        "ledger_postings",
        sa.Column("transaction_id", SURROGATE_KEY, nullable=False),
        sa.Column("leg", sa.SmallInteger(), nullable=False),
        sa.Column("account_kind", sa.Text(), nullable=False),
        sa.Column("account_owner", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_postings_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_postings_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("transaction_id", "leg", name=op.f("pk_ledger_postings")),
    )
    op.create_table(
        "ledger_balances",
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("account_kind", sa.Text(), nullable=False),
        sa.Column("account_owner", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "CASE WHEN account_kind IN ('rail_cash', 'yield_receivable') "
            "THEN total_minor >= 0 ELSE total_minor <= 0 END",
            name=op.f("ck_ledger_balances_never_negative"),
        ),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_ledger_balances")),
    )


def _create_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        for table in LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_rows_are_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_append_only()"
            )
        return
    for table in LEDGER_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: {operation} refused'); "
                "END"
            )


def upgrade() -> None:
    _create_tables()
    _create_append_only_triggers()


def downgrade() -> None:
    # Dropping the tables drops their triggers; the PostgreSQL function goes separately.
    op.drop_table("ledger_balances")
    op.drop_table("ledger_postings")
    op.drop_table("ledger_transactions")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_rows_are_append_only()")
