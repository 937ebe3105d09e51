"""Overrides of ``hold``/``block`` decisions: four eyes and a written justification.

An admin requests the override with a justification of at least 20 characters; a second admin,
who is not the requester, approves or rejects it. Each step records a past-tense event, so the
override is auditable beside the decision it lifts.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import attrs

from kustodia_domain.fraud.alerts import Alert
from kustodia_domain.fraud.errors import (
    InvalidOverrideTransitionError,
    JustificationTooShortError,
    OverrideNotNeededError,
    SecondApproverRequiredError,
)
from kustodia_domain.fraud.screening import Outcome, RiskDecision
from kustodia_domain.shared.events import DomainEvent
from kustodia_domain.shared.time import ensure_utc

MIN_JUSTIFICATION_CHARS = 20


class OverrideState(StrEnum):
    """Where an override request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True)
class OverrideRequested(DomainEvent):
    """An admin asked to lift a hold or block."""

    event_id: str
    original_outcome: str
    requested_by: str
    justification: str


@attrs.frozen(kw_only=True)
class OverrideDecided(DomainEvent):
    """A second admin approved or rejected the override."""

    state: str
    decided_by: str
    reason: str


@attrs.define(kw_only=True)
class Override:
    """A request to lift the ``hold``/``block`` decision of one screened event.

    Invariants: ``justification`` (trimmed) has at least ``MIN_JUSTIFICATION_CHARS``
    characters; ``decided_by`` differs from ``requested_by``; a request is decided once.
    ``event_kind`` and ``rule_ids`` say what was decided, so that an approved override also lifts
    the same rules when the same operation on the same escrow is screened again.
    """

    override_id: str
    event_id: str
    escrow_id: str | None
    original_outcome: Outcome
    requested_by: str
    justification: str
    requested_at: datetime
    event_kind: str = ""
    rule_ids: tuple[str, ...] = ()
    state: OverrideState = OverrideState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int = 0
    event_sequence: int = 0
    pending_events: list[DomainEvent] = attrs.field(factory=list)

    @classmethod
    def request(
        cls,
        *,
        override_id: str,
        decision: RiskDecision,
        escrow_id: str | None,
        requested_by: str,
        justification: str,
        at: datetime,
        event_kind: str = "",
    ) -> Override:
        """Ask to lift ``decision``.

        Raises:
            OverrideNotNeededError: the decision is below ``hold``.
            JustificationTooShortError: fewer than 20 characters of justification.
        """
        return cls._requested(
            override_id=override_id,
            event_id=decision.event_id,
            event_kind=event_kind,
            escrow_id=escrow_id,
            outcome=decision.outcome,
            rule_ids=decision.reasons,
            requested_by=requested_by,
            justification=justification,
            at=at,
        )

    @classmethod
    def request_for_alert(
        cls, *, override_id: str, alert: Alert, requested_by: str, justification: str, at: datetime
    ) -> Override:
        """Ask to lift the decision behind ``alert`` (same rules as :meth:`request`)."""
        return cls._requested(
            override_id=override_id,
            event_id=alert.event_id,
            event_kind=alert.event_kind,
            escrow_id=alert.escrow_id,
            outcome=alert.outcome,
            rule_ids=alert.rule_ids,
            requested_by=requested_by,
            justification=justification,
            at=at,
        )

    @classmethod
    def _requested(
        cls,
        *,
        override_id: str,
        event_id: str,
        event_kind: str,
        escrow_id: str | None,
        outcome: Outcome,
        rule_ids: tuple[str, ...],
        requested_by: str,
        justification: str,
        at: datetime,
    ) -> Override:
        if outcome < Outcome.HOLD:
            raise OverrideNotNeededError(
                f"{outcome.label} decisions are cleared in the review queue"
            )
        text = justification.strip()
        if len(text) < MIN_JUSTIFICATION_CHARS:
            raise JustificationTooShortError(length=len(text), minimum=MIN_JUSTIFICATION_CHARS)
        override = cls(
            override_id=override_id,
            event_id=event_id,
            event_kind=event_kind,
            escrow_id=escrow_id,
            original_outcome=outcome,
            rule_ids=rule_ids,
            requested_by=requested_by,
            justification=text,
            requested_at=at,
        )
        override._record(
            OverrideRequested,
            at,
            event_id=event_id,
            original_outcome=outcome.label,
            requested_by=requested_by,
            justification=text,
        )
        return override

    def lifts(self, *, event_kind: str, escrow_id: str | None, decision: RiskDecision) -> bool:
        """Whether this approved override also lifts ``decision`` about another event.

        Only on the same escrow, for the same kind of operation, when no rule fired beyond the
        ones the admins reviewed and the outcome is no worse than the one they lifted.
        """
        return (
            self.is_effective
            and escrow_id is not None
            and escrow_id == self.escrow_id
            and event_kind == self.event_kind
            and decision.outcome <= self.original_outcome
            and set(decision.reasons) <= set(self.rule_ids)
        )

    def approve(self, *, by: str, at: datetime) -> None:
        """Approve as the second admin.

        Raises:
            SecondApproverRequiredError: ``by`` is the requester.
            InvalidOverrideTransitionError: already decided.
        """
        self._decide(OverrideState.APPROVED, by=by, at=at, reason="")

    def reject(self, *, by: str, at: datetime, reason: str) -> None:
        """Reject as the second admin (same rules as :meth:`approve`)."""
        self._decide(OverrideState.REJECTED, by=by, at=at, reason=reason)

    @property
    def is_effective(self) -> bool:
        """Whether the hold/block is lifted."""
        return self.state is OverrideState.APPROVED

    def _decide(self, target: OverrideState, *, by: str, at: datetime, reason: str) -> None:
        if self.state is not OverrideState.PENDING:
            raise InvalidOverrideTransitionError(state=self.state.value, action=target.value)
        if by == self.requested_by:
            raise SecondApproverRequiredError("the approver must be a second admin")
        self.state, self.decided_by, self.decided_at = target, by, at
        self._record(OverrideDecided, at, state=target.value, decided_by=by, reason=reason)

    def pull_events(self) -> list[DomainEvent]:
        """Hand over the events recorded since the last pull."""
        events, self.pending_events = self.pending_events, []
        return events

    def _record(self, event_type: type[DomainEvent], at: datetime, **fields: Any) -> None:
        self.event_sequence += 1
        self.pending_events.append(
            event_type(
                aggregate_id=self.override_id,
                sequence=self.event_sequence,
                occurred_at=ensure_utc(at),
                **fields,
            )
        )


class OverrideRepository(Protocol):
    """Stored override requests."""

    @abstractmethod
    async def save(self, override: Override) -> None:
        """Insert or replace ``override``."""

    @abstractmethod
    async def get(self, override_id: str) -> Override | None:
        """The override, or ``None``."""

    @abstractmethod
    async def for_event(self, event_id: str) -> Sequence[Override]:
        """Overrides requested for the screened event ``event_id``."""

    @abstractmethod
    async def for_escrow(self, escrow_id: str) -> Sequence[Override]:
        """Overrides requested for decisions about the escrow ``escrow_id``, oldest first."""
