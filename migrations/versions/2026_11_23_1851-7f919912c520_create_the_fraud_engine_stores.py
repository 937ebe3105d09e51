"""Create the fraud engine's stores: screened-event history, profiles, lists, alerts, overrides.

The history (entries and both index tables) is append-only: triggers refuse UPDATE and DELETE
(and on PostgreSQL TRUNCATE).

Revision ID: 7f919912c520
Revises: 813a99dd63cb
Created: 2026-11-23 18:51:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7f919912c520"
down_revision: str | Sequence[str] | None = "813a99dd63cb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
SURROGATE_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OUTCOMES = "'allow', 'flag', 'review', 'hold', 'block'"
HISTORY_TABLES = ("risk_history", "risk_history_keys", "risk_history_values")

PG_REFUSE = """
CREATE FUNCTION risk_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'risk history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _create_history() -> None:
    op.create_table(
        "risk_history",
        sa.Column("sequence", SURROGATE_KEY, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("attributes", DOCUMENT, nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("ruleset", sa.Text(), nullable=False),
        sa.Column("decision", DOCUMENT, nullable=False),
        sa.Column("shadow", DOCUMENT, nullable=False),
        sa.CheckConstraint(f"outcome IN ({OUTCOMES})", name=op.f("ck_risk_history_outcome_known")),
        sa.CheckConstraint(
            "(currency IS NULL) = (amount_minor IS NULL)", name=op.f("ck_risk_history_amount_whole")
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_risk_history")),
        sa.UniqueConstraint("event_id", name=op.f("uq_risk_history_event_id")),
    )
    op.create_table(
        "risk_history_keys",
        sa.Column("dimension", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("sequence", SURROGATE_KEY, autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence"],
            ["risk_history.sequence"],
            name=op.f("fk_risk_history_keys_sequence_risk_history"),
        ),
        sa.PrimaryKeyConstraint(
            "dimension",
            "value",
            "kind",
            "occurred_at",
            "sequence",
            name=op.f("pk_risk_history_keys"),
        ),
    )
    op.create_table(
        "risk_history_values",
        sa.Column("dimension", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("attribute", sa.Text(), nullable=False),
        sa.Column("used_value", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("sequence", SURROGATE_KEY, autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["sequence"],
            ["risk_history.sequence"],
            name=op.f("fk_risk_history_values_sequence_risk_history"),
        ),
        sa.PrimaryKeyConstraint(
            "dimension",
            "value",
            "attribute",
            "used_value",
            "occurred_at",
            "sequence",
            name=op.f("pk_risk_history_values"),
        ),
    )


def _create_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_REFUSE)
        for table in HISTORY_TABLES:
            op.execute(
                f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION risk_history_is_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION risk_history_is_append_only()"
            )
        return
    for table in HISTORY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'risk history is append-only: {operation} refused'); "
                "END"
            )


def _create_profiles_and_lists() -> None:
    op.create_table(
        "party_profiles",
        sa.Column("party_id", sa.Text(), nullable=False),
        sa.Column("valid_from", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("kyc_status", sa.Text(), nullable=False),
        sa.Column("kyc_level", sa.SmallInteger(), nullable=False),
        sa.Column("kyc_name", sa.Text(), nullable=True),
        sa.Column("rfc", sa.Text(), nullable=True),
        sa.Column("curp", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("is_business", sa.Boolean(), nullable=False),
        sa.Column("payout_clabe", sa.Text(), nullable=True),
        sa.Column("payout_clabe_changed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("registered_clabes", DOCUMENT, nullable=False),
        sa.Column("disputes_lost_at", DOCUMENT, nullable=False),
        sa.CheckConstraint(
            "kyc_status IN ('none', 'pending', 'verified', 'rejected')",
            name=op.f("ck_party_profiles_kyc_status_known"),
        ),
        sa.CheckConstraint(
            "kyc_level BETWEEN 1 AND 4", name=op.f("ck_party_profiles_kyc_level_range")
        ),
        sa.PrimaryKeyConstraint("party_id", "valid_from", name=op.f("pk_party_profiles")),
    )
    op.create_table(
        "risk_list_entries",
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.Column("list_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("removed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("removed_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "list_name IN ('blocklist', 'watchlist', 'uif_blocked', 'sat_69b_definitive', "
            "'sat_69b_presumed', 'pep')",
            name=op.f("ck_risk_list_entries_list_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('email', 'clabe', 'rfc', 'curp', 'ip', 'device', 'phone', 'user', 'name')",
            name=op.f("ck_risk_list_entries_kind_known"),
        ),
        sa.CheckConstraint(
            "(removed_at IS NULL) = (removed_by IS NULL)",
            name=op.f("ck_risk_list_entries_removal_whole"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_risk_list_entries")),
    )
    op.create_index("ix_risk_list_entries_kind_value", "risk_list_entries", ["kind", "value"])
    op.create_index(
        "ix_risk_list_entries_list_name_added_at",
        "risk_list_entries",
        ["list_name", "added_at", "entry_id"],
    )
    op.create_table(
        "risk_list_name_tokens",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["risk_list_entries.entry_id"],
            name=op.f("fk_risk_list_name_tokens_entry_id_risk_list_entries"),
        ),
        sa.PrimaryKeyConstraint("token", "entry_id", name=op.f("pk_risk_list_name_tokens")),
    )
    op.create_index("ix_risk_list_name_tokens_entry_id", "risk_list_name_tokens", ["entry_id"])


def _create_review_queue() -> None:
    op.create_table(
        "risk_alerts",
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_kind", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("party_ids", DOCUMENT, nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rule_ids", DOCUMENT, nullable=False),
        sa.Column("ruleset", sa.Text(), nullable=False),
        sa.Column("raised_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"outcome IN ({OUTCOMES})", name=op.f("ck_risk_alerts_outcome_known")),
        sa.CheckConstraint(
            "state IN ('open', 'cleared', 'confirmed_fraud')",
            name=op.f("ck_risk_alerts_state_known"),
        ),
        sa.CheckConstraint(
            "(state = 'open') = (resolved_by IS NULL) AND (state = 'open') = (resolved_at IS NULL)",
            name=op.f("ck_risk_alerts_resolved_exactly_when_closed"),
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_risk_alerts")),
    )
    op.create_index(op.f("ix_risk_alerts_event_id"), "risk_alerts", ["event_id"])
    op.create_index(
        "ix_risk_alerts_state_raised_at", "risk_alerts", ["state", "raised_at", "alert_id"]
    )
    op.create_table(
        "risk_overrides",
        sa.Column("override_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event_kind", sa.Text(), nullable=False),
        sa.Column("escrow_id", sa.Text(), nullable=True),
        sa.Column("original_outcome", sa.Text(), nullable=False),
        sa.Column("rule_ids", DOCUMENT, nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("requested_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_sequence", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "original_outcome IN ('hold', 'block')",
            name=op.f("ck_risk_overrides_outcome_overridable"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_risk_overrides_state_known"),
        ),
        sa.CheckConstraint(
            "(state = 'pending') = (decided_by IS NULL) "
            "AND (state = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_risk_overrides_decided_exactly_when_closed"),
        ),
        sa.CheckConstraint(
            "decided_by <> requested_by", name=op.f("ck_risk_overrides_second_approver")
        ),
        sa.CheckConstraint(
            "length(justification) >= 20", name=op.f("ck_risk_overrides_justification_length")
        ),
        sa.PrimaryKeyConstraint("override_id", name=op.f("pk_risk_overrides")),
    )
    op.create_index(op.f("ix_risk_overrides_event_id"), "risk_overrides", ["event_id"])
    op.create_index(
        "ix_risk_overrides_escrow_id_requested_at",
        "risk_overrides",
        ["escrow_id", "requested_at", "override_id"],
    )


def upgrade() -> None:
    _create_history()
    _create_append_only_triggers()
    _create_profiles_and_lists()
    _create_review_queue()


def downgrade() -> None:
    for table in (
        "risk_overrides",
        "risk_alerts",
        "risk_list_name_tokens",
        "risk_list_entries",
        "party_profiles",
        "risk_history_values",
        "risk_history_keys",
        "risk_history",
    ):
        # Dropping a table drops its indexes, constraints and triggers with it.
        op.drop_table(table)
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION risk_history_is_append_only()")
