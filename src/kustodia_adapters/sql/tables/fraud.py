"""Tables of the fraud engine: screened-event history, party profiles, lists, alerts, overrides.

The history is append-only (triggers created by the migration refuse UPDATE and DELETE, and on
PostgreSQL TRUNCATE). Each screened event is one ``risk_history`` row holding the event, its
decision as a JSON document (fired rules, facts, actions, fact errors; the outcome, score and
ruleset hash copied into columns) and its shadow decisions. Two index tables copy out what the
point-in-time queries read, their primary keys being the indexes those queries scan:
``risk_history_keys`` (one row per key of :func:`~kustodia_domain.fraud.history.history_keys`)
and ``risk_history_values`` (one per triple of
:func:`~kustodia_domain.fraud.history.history_values`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
)

from kustodia_adapters.sql.tables.base import metadata, one_of
from kustodia_adapters.sql.types import DOCUMENT, SURROGATE_KEY, UtcDateTime
from kustodia_domain.fraud.alerts import AlertState
from kustodia_domain.fraud.lists import ListKind, ListName
from kustodia_domain.fraud.overrides import MIN_JUSTIFICATION_CHARS, OverrideState
from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.fraud.screening import Outcome

OUTCOMES = tuple(outcome.label for outcome in Outcome)
OVERRIDABLE = tuple(outcome.label for outcome in Outcome if outcome >= Outcome.HOLD)

risk_history = Table(
    "risk_history",
    metadata,
    # Recording order; the port's 0-based sequence is this minus one.
    Column("sequence", SURROGATE_KEY, primary_key=True, autoincrement=True),
    # An event is screened and recorded once.
    Column("event_id", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor_id", Text),
    Column("escrow_id", Text),
    Column("currency", Text),
    Column("amount_minor", BigInteger),
    Column("attributes", DOCUMENT, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("ruleset", Text, nullable=False),
    Column("decision", DOCUMENT, nullable=False),
    Column("shadow", DOCUMENT, nullable=False),
    CheckConstraint(one_of("outcome", OUTCOMES), name="outcome_known"),
    CheckConstraint("(currency IS NULL) = (amount_minor IS NULL)", name="amount_whole"),
)

risk_history_keys = Table(
    "risk_history_keys",
    metadata,
    # The key's events of some kinds in a time window, oldest first: one range per kind.
    Column("dimension", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("occurred_at", UtcDateTime, primary_key=True),
    Column(
        "sequence",
        SURROGATE_KEY,
        ForeignKey("risk_history.sequence"),
        primary_key=True,
        autoincrement=False,
    ),
)

risk_history_values = Table(
    "risk_history_values",
    metadata,
    # The distinct values of one attribute under a key, with their first and last use.
    Column("dimension", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("attribute", Text, primary_key=True),
    Column("used_value", Text, primary_key=True),
    Column("occurred_at", UtcDateTime, primary_key=True),
    Column(
        "sequence",
        SURROGATE_KEY,
        ForeignKey("risk_history.sequence"),
        primary_key=True,
        autoincrement=False,
    ),
)

party_profiles = Table(
    "party_profiles",
    metadata,
    # One version per party and moment; "as of" is one backward step of this key.
    Column("party_id", Text, primary_key=True),
    Column("valid_from", UtcDateTime, primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("kyc_status", Text, nullable=False),
    Column("kyc_level", SmallInteger, nullable=False),
    Column("kyc_name", Text),
    Column("rfc", Text),
    Column("curp", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("is_business", Boolean, nullable=False),
    Column("payout_clabe", Text),
    Column("payout_clabe_changed_at", UtcDateTime),
    Column("registered_clabes", DOCUMENT, nullable=False),
    Column("disputes_lost_at", DOCUMENT, nullable=False),
    CheckConstraint(
        one_of("kyc_status", tuple(status.value for status in KycStatus)),
        name="kyc_status_known",
    ),
    CheckConstraint("kyc_level BETWEEN 1 AND 4", name="kyc_level_range"),
)

risk_list_entries = Table(
    "risk_list_entries",
    metadata,
    Column("entry_id", Text, primary_key=True),
    Column("list_name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("removed_at", UtcDateTime),
    Column("removed_by", Text),
    CheckConstraint(one_of("list_name", tuple(n.value for n in ListName)), name="list_known"),
    CheckConstraint(one_of("kind", tuple(k.value for k in ListKind)), name="kind_known"),
    CheckConstraint("(removed_at IS NULL) = (removed_by IS NULL)", name="removal_whole"),
    # Entries matching an event's identifiers: one probe per identifier.
    Index("ix_risk_list_entries_kind_value", "kind", "value"),
    # One list's entries, oldest first.
    Index("ix_risk_list_entries_list_name_added_at", "list_name", "added_at", "entry_id"),
)

risk_list_name_tokens = Table(
    "risk_list_name_tokens",
    metadata,
    # Each normalised token of a NAME entry, for the candidates of fuzzy name matching.
    Column("token", Text, primary_key=True),
    Column("entry_id", Text, ForeignKey("risk_list_entries.entry_id"), primary_key=True),
    # Replacing an entry drops its old tokens by entry.
    Index("ix_risk_list_name_tokens_entry_id", "entry_id"),
)

risk_alerts = Table(
    "risk_alerts",
    metadata,
    Column("alert_id", Text, primary_key=True),
    Column("event_id", Text, nullable=False, index=True),
    Column("event_kind", Text, nullable=False),
    Column("escrow_id", Text),
    Column("party_ids", DOCUMENT, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("rule_ids", DOCUMENT, nullable=False),
    Column("ruleset", Text, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("state", Text, nullable=False),
    Column("resolved_by", Text),
    Column("resolved_at", UtcDateTime),
    Column("note", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_sequence", Integer, nullable=False),
    CheckConstraint(one_of("outcome", OUTCOMES), name="outcome_known"),
    CheckConstraint(one_of("state", tuple(s.value for s in AlertState)), name="state_known"),
    CheckConstraint(
        "(state = 'open') = (resolved_by IS NULL) AND (state = 'open') = (resolved_at IS NULL)",
        name="resolved_exactly_when_closed",
    ),
    # The review queue: alerts in a state, oldest first.
    Index("ix_risk_alerts_state_raised_at", "state", "raised_at", "alert_id"),
)

risk_overrides = Table(
    "risk_overrides",
    metadata,
    Column("override_id", Text, primary_key=True),
    Column("event_id", Text, nullable=False, index=True),
    Column("event_kind", Text, nullable=False),
    Column("escrow_id", Text),
    Column("original_outcome", Text, nullable=False),
    Column("rule_ids", DOCUMENT, nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("justification", Text, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("state", Text, nullable=False),
    Column("decided_by", Text),
    Column("decided_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Column("event_sequence", Integer, nullable=False),
    CheckConstraint(one_of("original_outcome", OVERRIDABLE), name="outcome_overridable"),
    CheckConstraint(one_of("state", tuple(s.value for s in OverrideState)), name="state_known"),
    CheckConstraint(
        "(state = 'pending') = (decided_by IS NULL) AND (state = 'pending') = (decided_at IS NULL)",
        name="decided_exactly_when_closed",
    ),
    # Four eyes: whoever asked for the override never decides it.
    CheckConstraint("decided_by <> requested_by", name="second_approver"),
    CheckConstraint(
        f"length(justification) >= {MIN_JUSTIFICATION_CHARS}", name="justification_length"
    ),
    # The overrides of one escrow's decisions, oldest first.
    Index("ix_risk_overrides_escrow_id_requested_at", "escrow_id", "requested_at", "override_id"),
)
