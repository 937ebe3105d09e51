"""Tables of records written beside the aggregates: events, outbox, notifications, suspense.

Also the audit records a unit of work queued, waiting to be chained.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kustodia_adapters.sql.tables.base import metadata, money
from kustodia_adapters.sql.types import DOCUMENT, SURROGATE_KEY, UtcDateTime

events = Table(
    "events",
    metadata,
    Column("id", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("aggregate_id", Text, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("payload", DOCUMENT, nullable=False),
    # Also the index that reads one aggregate's events in order.
    UniqueConstraint("aggregate_id", "sequence"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("payload", DOCUMENT, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime),
    # Leases and retries: a worker's claim holds the row until leased_until; a failed attempt
    # waits until retry_at; after the last attempt the row is dead (dead_at) until retried.
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("leased_by", Text),
    Column("leased_until", UtcDateTime),
    Column("retry_at", UtcDateTime),
    Column("last_error", Text),
    Column("dead_at", UtcDateTime),
    Index(
        "ix_outbox_messages_pending",
        "created_at",
        "id",
        postgresql_where=text("dispatched_at IS NULL"),
        sqlite_where=text("dispatched_at IS NULL"),
    ),
    Index(
        "ix_outbox_messages_claimable",
        "topic",
        "created_at",
        "id",
        postgresql_where=text("dispatched_at IS NULL AND dead_at IS NULL"),
        sqlite_where=text("dispatched_at IS NULL AND dead_at IS NULL"),
    ),
    Index(
        "ix_outbox_messages_dead",
        "dead_at",
        postgresql_where=text("dead_at IS NOT NULL"),
        sqlite_where=text("dead_at IS NOT NULL"),
    ),
)

notifications = Table(
    "notifications",
    metadata,
    Column("seq", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("id", Text, nullable=False, unique=True),
    Column("user_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("escrow_id", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read", Boolean, nullable=False),
    Index("ix_notifications_user_id_created_at", "user_id", "created_at", "seq"),
)

unmatched_deposits = Table(
    "unmatched_deposits",
    metadata,
    Column("tracking_key", Text, primary_key=True),
    Column("clabe", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("currency", Text, nullable=False),
    money("amount_minor"),
    Column("source_clabe", Text, nullable=False),
    Column("sender_name", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("resolved", Boolean, nullable=False),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index(
        "ix_unmatched_deposits_open",
        "received_at",
        postgresql_where=text("NOT resolved"),
        sqlite_where=text("NOT resolved"),
    ),
)

audit_pending = Table(
    "audit_pending",
    metadata,
    # Written in the unit of work whose change the record describes; chaining a record moves
    # it to ``audit_entries`` and deletes it here in one transaction. ``id`` is the queue order.
    Column("id", SURROGATE_KEY, primary_key=True, autoincrement=True),
    Column("actor_id", Text),
    Column("action", Text, nullable=False),
    Column("subject_type", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("details", DOCUMENT, nullable=False),
)
