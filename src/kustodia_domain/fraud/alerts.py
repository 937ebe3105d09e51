"""The review queue: an alert per decision that needs a human, and its resolution.

States form an explicit table: an ``open`` alert is either ``cleared`` (false positive, the flow
goes on) or ``confirmed_fraud``; both are final. Every change records a past-tense event.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import attrs

from kustodia_domain.fraud.errors import InvalidAlertTransitionError
from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent
from kustodia_domain.fraud.vocabulary import PARTY_ROLES, party_id
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.time import ensure_utc


class AlertState(StrEnum):
    """Where an alert stands."""

    OPEN = "open"
    CLEARED = "cleared"
    CONFIRMED_FRAUD = "confirmed_fraud"


_TRANSITIONS: dict[tuple[AlertState, str], AlertState] = {
    (AlertState.OPEN, "clear"): AlertState.CLEARED,
    (AlertState.OPEN, "confirm_fraud"): AlertState.CONFIRMED_FRAUD,
}


@attrs.frozen(kw_only=True)
class AlertRaised(DomainEvent):
    """A decision at or above ``review`` opened an alert."""

    event_id: str
    outcome: str
    rule_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class AlertResolved(DomainEvent):
    """An analyst cleared the alert or confirmed fraud."""

    state: str
    resolved_by: str
    note: str


def needs_alert(decision: RiskDecision) -> bool:
    """Whether ``decision`` goes to the review queue (``review``, ``hold`` or ``block``)."""
    return decision.outcome >= Outcome.REVIEW


@attrs.define(kw_only=True)
class Alert:
    """An item of the review queue.

    Invariants: ``state`` changes only through :meth:`clear` and :meth:`confirm_fraud`, each
    once, from ``open``; ``resolved_by``/``resolved_at`` are set exactly when it is resolved.
    """

    alert_id: str
    event_id: str
    event_kind: str
    escrow_id: str | None
    party_ids: tuple[str, ...]
    outcome: Outcome
    score: int
    rule_ids: tuple[str, ...]
    ruleset: str
    raised_at: datetime
    state: AlertState = AlertState.OPEN
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    note: str = ""
    version: int = 0
    event_sequence: int = 0
    pending_events: list[DomainEvent] = attrs.field(factory=list)

    @classmethod
    def raise_for(cls, *, alert_id: str, event: RiskEvent, decision: RiskDecision) -> Alert:
        """Open an alert for ``decision`` about ``event``, at the event's time.

        Raises:
            ValidationError: the decision is below ``review`` or is about another event.
        """
        if not needs_alert(decision) or decision.event_id != event.event_id:
            raise ValidationError(
                "alerts are raised for review/hold/block decisions of the same event",
                field="decision",
            )
        parties = (party_id(event, role) for role in PARTY_ROLES)
        alert = cls(
            alert_id=alert_id,
            event_id=event.event_id,
            event_kind=event.kind,
            escrow_id=event.escrow_id,
            party_ids=tuple(sorted({p for p in parties if p})),
            outcome=decision.outcome,
            score=decision.score,
            rule_ids=decision.reasons,
            ruleset=decision.ruleset,
            raised_at=event.occurred_at,
        )
        alert._record(
            AlertRaised,
            event.occurred_at,
            event_id=event.event_id,
            outcome=decision.outcome.label,
            rule_ids=decision.reasons,
        )
        return alert

    def clear(self, *, by: str, at: datetime, note: str = "") -> None:
        """Close the alert as a false positive.

        Raises:
            InvalidAlertTransitionError: the alert is not open.
        """
        self._resolve("clear", by=by, at=at, note=note)

    def confirm_fraud(self, *, by: str, at: datetime, note: str = "") -> None:
        """Close the alert as confirmed fraud.

        Raises:
            InvalidAlertTransitionError: the alert is not open.
        """
        self._resolve("confirm_fraud", by=by, at=at, note=note)

    def _resolve(self, action: str, *, by: str, at: datetime, note: str) -> None:
        target = _TRANSITIONS.get((self.state, action))
        if target is None:
            raise InvalidAlertTransitionError(state=self.state.value, action=action)
        self.state, self.resolved_by, self.resolved_at, self.note = target, by, at, note
        self._record(AlertResolved, at, state=target.value, resolved_by=by, note=note)

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the events recorded since the last pull."""
        events, self.pending_events = self.pending_events, []
        return events

    def _record(self, event_type: type[DomainEvent], at: datetime, **fields: Any) -> None:
        self.event_sequence += 1
        self.pending_events.append(
            event_type(
                aggregate_id=self.alert_id,
                sequence=self.event_sequence,
                occurred_at=ensure_utc(at),
                **fields,
            )
        )


class AlertRepository(Protocol):
    """Stored alerts."""

    @abstractmethod
    async def save(self, alert: Alert) -> None:
        """Insert or replace ``alert``."""

    @abstractmethod
    async def get(self, alert_id: str) -> Alert | None:
        """The alert, or ``None``."""

    @abstractmethod
    async def by_state(self, state: AlertState) -> Sequence[Alert]:
        """Alerts in ``state``, oldest first."""

    @abstractmethod
    async def for_event(self, event_id: str) -> Sequence[Alert]:
        """Alerts raised for the screened event ``event_id``."""
