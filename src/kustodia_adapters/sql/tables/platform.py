"""Tables of the platform's stores.

Support tickets are written through the unit of work (``uow.tickets``). The audit chain,
credentials, replay protection (idempotency keys, webhook receipts), evidence blobs, KYC
sessions and the queue of reconciliation differences are not: each of those stores runs its
own short transaction. The audit entries are append-only (triggers created by the migration
refuse UPDATE and DELETE, and on PostgreSQL TRUNCATE); ``audit_chain_lock`` is the one row every
append locks first, so appends queue and the chain never forks.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    text,
)

from kustodia_adapters.sql.tables.base import metadata, one_of
from kustodia_adapters.sql.types import DOCUMENT, UtcDateTime
from kustodia_domain.audit.chain import GENESIS_HASH
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import KycStatus
from kustodia_domain.ports.reconciliation_queue import DifferenceKind
from kustodia_domain.support.model import TicketStatus

TICKET_STATUSES = tuple(status.value for status in TicketStatus)
KYC_LEVELS = tuple(level.value for level in KycLevel)
KYC_STATUSES = tuple(status.value for status in KycStatus)
DIFFERENCE_KINDS = tuple(kind.value for kind in DifferenceKind)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("owner_id", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("replies", DOCUMENT, nullable=False),
    CheckConstraint(one_of("status", TICKET_STATUSES), name="status_known"),
    # Newest first: a user's tickets, the staff queue by status, and every ticket.
    Index("ix_tickets_owner_id_created_at", "owner_id", "created_at", "id"),
    Index("ix_tickets_status_created_at", "status", "created_at", "id"),
    Index("ix_tickets_created_at", "created_at", "id"),
)

audit_entries = Table(
    "audit_entries",
    metadata,
    # Sequences count from 1 without gaps: the offset-th entry is sequence offset + 1.
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("actor_id", Text),
    Column("action", Text, nullable=False),
    Column("subject_type", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("details", DOCUMENT, nullable=False),
    # No two entries follow the same entry: the chain cannot fork, whatever the sequences say.
    Column("previous_hash", Text, nullable=False, unique=True),
    Column("hash", Text, nullable=False),
    CheckConstraint("sequence >= 1", name="sequence_positive"),
    CheckConstraint(
        f"(sequence = 1) = (previous_hash = '{GENESIS_HASH}')", name="genesis_starts_the_chain"
    ),
    CheckConstraint("length(hash) = 64 AND length(previous_hash) = 64", name="hashes_are_sha256"),
)

audit_chain_lock = Table(
    "audit_chain_lock",
    metadata,
    # One row; an append updates it first, which queues appends on both databases.
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    CheckConstraint("id = 1", name="one_row"),
)

password_hashes = Table(
    "password_hashes",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
)

login_throttles = Table(
    "login_throttles",
    metadata,
    Column("email", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UtcDateTime),
    # Throttles are per e-mail in any case: the key is stored lower-case.
    CheckConstraint("email = lower(email)", name="email_lower_case"),
    CheckConstraint("failures >= 0", name="failures_not_negative"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_id", Text, primary_key=True),
    Column("family_id", Text, nullable=False, index=True),
    Column("user_id", Text, nullable=False),
    Column("secret_sha256", Text, nullable=False),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # The primary key is the claim: of two requests with one key, one inserts the row.
    Column("key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("response_status", SmallInteger),
    Column("response_body", LargeBinary),
    Column("response_media_type", Text),
    # Set by the first unit of work that committed under the claim (see SqlUnitOfWork): from
    # then on the claim is never taken over nor released, so its request never runs twice.
    Column("committed_at", UtcDateTime),
    CheckConstraint(
        "(response_status IS NULL) = (response_body IS NULL) "
        "AND (response_status IS NULL) = (response_media_type IS NULL)",
        name="response_whole",
    ),
    CheckConstraint("response_status BETWEEN 100 AND 599", name="response_status_http"),
)

webhook_receipts = Table(
    "webhook_receipts",
    metadata,
    # The primary key is the replay protection: a signature is accepted once.
    Column("key", Text, primary_key=True),
    Column("first_seen_at", UtcDateTime, nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    # Content-addressed: the key is the SHA-256 (hex) of the content, so the primary key is
    # also the de-duplication, and a row once written is never rewritten.
    Column("sha256", Text, primary_key=True),
    # As given with the first copy stored; the same bytes stored again keep it.
    Column("content_type", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    CheckConstraint("length(sha256) = 64", name="key_is_sha256"),
)

kyc_sessions = Table(
    "kyc_sessions",
    metadata,
    # The provider's session id: its verdict names the session, and it is looked up by it.
    Column("session_id", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("target_level", Text, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("status", Text, nullable=False),
    Column("verified_level", Text),
    Column("reasons", DOCUMENT, nullable=False),
    Column("settled_at", UtcDateTime),
    CheckConstraint(one_of("target_level", KYC_LEVELS), name="target_level_known"),
    CheckConstraint(one_of("status", KYC_STATUSES), name="status_known"),
    CheckConstraint(one_of("verified_level", KYC_LEVELS), name="verified_level_known"),
    CheckConstraint(
        "(status = 'pending') = (settled_at IS NULL)", name="settled_exactly_when_not_pending"
    ),
    CheckConstraint(
        "(status = 'approved') = (verified_level IS NOT NULL)",
        name="verified_exactly_when_approved",
    ),
    # A verdict never verifies more than was asked for; level names sort in rank order (N1-N4).
    CheckConstraint("verified_level <= target_level", name="verified_within_target"),
)

reconciliation_differences = Table(
    "reconciliation_differences",
    metadata,
    # The queue's key (kind and subject): a difference is queued once, and never deleted, so
    # reconciling a period again, or an overlapping one, finds the row and writes nothing.
    Column("kind", Text, primary_key=True),
    Column("subject", Text, primary_key=True),
    Column("escrow_id", Text),
    Column("rail_currency", Text),
    Column("rail_amount_minor", BigInteger),
    Column("recorded_currency", Text),
    Column("recorded_amount_minor", BigInteger),
    Column("rail_status", Text),
    Column("recorded_status", Text),
    Column("detail", Text, nullable=False),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("found_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    CheckConstraint(one_of("kind", DIFFERENCE_KINDS), name="kind_known"),
    CheckConstraint(
        "(rail_currency IS NULL) = (rail_amount_minor IS NULL)", name="rail_amount_whole"
    ),
    CheckConstraint(
        "(recorded_currency IS NULL) = (recorded_amount_minor IS NULL)",
        name="recorded_amount_whole",
    ),
    CheckConstraint("period_start < period_end", name="period_not_empty"),
    # The admins' queue: open differences, oldest found first (ties by key).
    Index(
        "ix_reconciliation_differences_open",
        "found_at",
        "kind",
        "subject",
        postgresql_where=text("resolved_at IS NULL"),
        sqlite_where=text("resolved_at IS NULL"),
    ),
)
