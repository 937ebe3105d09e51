"""Rows of the fraud engine's tables <-> history entries, profiles, list entries, alerts, overrides.

A decision is stored whole as a JSON document through :data:`CONVERTER` (outcomes as their
labels), with its outcome, score and ruleset hash copied into columns for constraints and
queries; shadow decisions are a JSON list. Events keep their identifying fields as columns and
their attributes (flat scalars) as a JSON object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from kustodia_adapters.sql.mappers import CONVERTER, Row
from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.fraud.history import HistoryEntry, history_keys, history_values
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.overrides import Override, OverrideState
from kustodia_domain.fraud.profiles import KycStatus, PartyProfile
from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent
from kustodia_domain.shared.money import Currency, Money

STORED_SEQUENCE_OFFSET: Final = 1
"""Stored history sequences count from 1 (the databases' row ids); the port's from 0."""


def outcome_of(label: str) -> Outcome:
    """The outcome stored as ``label`` (``"hold"``)."""
    return Outcome[label.upper()]


# ---------------------------------------------------------------- history


def history_row(
    event: RiskEvent, decision: RiskDecision, shadow: tuple[RiskDecision, ...]
) -> dict[str, Any]:
    """The ``risk_history`` row of a screened event (its sequence is the database's)."""
    amount = event.amount
    return {
        "event_id": event.event_id,
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "escrow_id": event.escrow_id,
        "currency": None if amount is None else amount.currency.code,
        "amount_minor": None if amount is None else amount.amount_minor,
        "attributes": dict(event.attributes),
        "outcome": decision.outcome.label,
        "score": decision.score,
        "ruleset": decision.ruleset,
        "decision": CONVERTER.unstructure(decision, RiskDecision),
        "shadow": CONVERTER.unstructure(shadow, tuple[RiskDecision, ...]),
    }


def index_rows(
    event: RiskEvent, stored_sequence: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``risk_history_keys`` and ``risk_history_values`` rows of a stored event."""
    at = event.occurred_at
    keys = [
        {
            "dimension": dimension,
            "value": value,
            "kind": event.kind,
            "occurred_at": at,
            "sequence": stored_sequence,
        }
        for dimension, value in sorted(history_keys(event))
    ]
    values = [
        {
            "dimension": dimension,
            "value": value,
            "attribute": attribute,
            "used_value": used,
            "occurred_at": at,
            "sequence": stored_sequence,
        }
        for (dimension, value), attribute, used in history_values(event)
    ]
    return keys, values


def event_from_row(row: Row) -> RiskEvent:
    """The screened event stored in a ``risk_history`` row."""
    currency = row["currency"]
    return RiskEvent(
        event_id=row["event_id"],
        kind=row["kind"],
        occurred_at=row["occurred_at"],
        actor_id=row["actor_id"],
        escrow_id=row["escrow_id"],
        amount=None if currency is None else Money(row["amount_minor"], Currency.of(currency)),
        attributes=row["attributes"],
    )


def entry_from_row(row: Row) -> HistoryEntry:
    """The history entry stored in a ``risk_history`` row."""
    return HistoryEntry(
        event=event_from_row(row),
        decision=CONVERTER.structure(row["decision"], RiskDecision),
        shadow=CONVERTER.structure(row["shadow"], tuple[RiskDecision, ...]),
        sequence=row["sequence"] - STORED_SEQUENCE_OFFSET,
    )


# ---------------------------------------------------------------- profiles


_PROFILE_SCALARS: Final = [
    "party_id",
    "valid_from",
    "created_at",
    "kyc_level",
    "kyc_name",
    "rfc",
    "curp",
    "email",
    "phone",
    "is_business",
    "payout_clabe",
    "payout_clabe_changed_at",
]


def profile_values(profile: PartyProfile) -> dict[str, Any]:
    """The ``party_profiles`` row of one version of a profile."""
    return {
        **{name: getattr(profile, name) for name in _PROFILE_SCALARS},
        "kyc_status": profile.kyc_status.value,
        "registered_clabes": list(profile.registered_clabes),
        "disputes_lost_at": CONVERTER.unstructure(profile.disputes_lost_at),
    }


def profile_from_row(row: Row) -> PartyProfile:
    """The profile version stored in ``row``."""
    return PartyProfile(
        **{name: row[name] for name in _PROFILE_SCALARS},
        kyc_status=KycStatus(row["kyc_status"]),
        registered_clabes=tuple(row["registered_clabes"]),
        disputes_lost_at=CONVERTER.structure(row["disputes_lost_at"], tuple[datetime, ...]),
    )


# ---------------------------------------------------------------- lists


_LIST_ENTRY_SCALARS: Final = [
    "entry_id",
    "value",
    "reason",
    "source",
    "added_by",
    "added_at",
    "expires_at",
    "removed_at",
    "removed_by",
]


def list_entry_values(entry: ListEntry) -> dict[str, Any]:
    """The ``risk_list_entries`` row of ``entry``."""
    return {
        **{name: getattr(entry, name) for name in _LIST_ENTRY_SCALARS},
        "list_name": entry.list_name.value,
        "kind": entry.kind.value,
    }


def list_entry_from_row(row: Row) -> ListEntry:
    """The list entry stored in ``row``."""
    return ListEntry(
        **{name: row[name] for name in _LIST_ENTRY_SCALARS},
        list_name=ListName(row["list_name"]),
        kind=ListKind(row["kind"]),
    )


def name_tokens(entry: ListEntry) -> list[dict[str, Any]]:
    """The ``risk_list_name_tokens`` rows of a ``NAME`` entry (none for other kinds)."""
    if entry.kind is not ListKind.NAME:
        return []
    return [
        {"token": token, "entry_id": entry.entry_id} for token in sorted(set(entry.value.split()))
    ]


# ---------------------------------------------------------------- review queue


_ALERT_SCALARS: Final = [
    "alert_id",
    "event_id",
    "event_kind",
    "escrow_id",
    "score",
    "ruleset",
    "raised_at",
    "resolved_by",
    "resolved_at",
    "note",
    "version",
    "event_sequence",
]


def alert_values(alert: Alert) -> dict[str, Any]:
    """The ``risk_alerts`` row of ``alert`` (pending events are never stored)."""
    return {
        **{name: getattr(alert, name) for name in _ALERT_SCALARS},
        "party_ids": list(alert.party_ids),
        "outcome": alert.outcome.label,
        "rule_ids": list(alert.rule_ids),
        "state": alert.state.value,
    }


def alert_from_row(row: Row) -> Alert:
    """The alert stored in ``row``."""
    return Alert(
        **{name: row[name] for name in _ALERT_SCALARS},
        party_ids=tuple(row["party_ids"]),
        outcome=outcome_of(row["outcome"]),
        rule_ids=tuple(row["rule_ids"]),
        state=AlertState(row["state"]),
    )


_OVERRIDE_SCALARS: Final = [
    "override_id",
    "event_id",
    "event_kind",
    "escrow_id",
    "requested_by",
    "justification",
    "requested_at",
    "decided_by",
    "decided_at",
    "version",
    "event_sequence",
]


def override_values(override: Override) -> dict[str, Any]:
    """The ``risk_overrides`` row of ``override`` (pending events are never stored)."""
    return {
        **{name: getattr(override, name) for name in _OVERRIDE_SCALARS},
        "original_outcome": override.original_outcome.label,
        "rule_ids": list(override.rule_ids),
        "state": override.state.value,
    }


def override_from_row(row: Row) -> Override:
    """The override stored in ``row``."""
    return Override(
        **{name: row[name] for name in _OVERRIDE_SCALARS},
        original_outcome=outcome_of(row["original_outcome"]),
        rule_ids=tuple(row["rule_ids"]),
        state=OverrideState(row["state"]),
    )
