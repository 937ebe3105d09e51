"""Applying risk decisions: the one place use cases turn a screen's verdict into effects.

``block`` raises ``OperationBlockedError`` before anything changes; ``hold`` puts a funded escrow
``on_hold`` (nothing moves); ``review`` and above raise an alert in the review queue; every
decision about an escrow is recorded in its timeline. An approved override lifts a ``hold`` or
``block`` (see :meth:`~kustodia_domain.fraud.overrides.Override.lifts`). The rules' follow-up
actions are applied by :mod:`.risk_followups`, after the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Self

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.alerts import Alert, AlertRepository, needs_alert
from kustodia_domain.fraud.overrides import OverrideRepository
from kustodia_domain.fraud.screening import FactValue, Outcome, RiskDecision, RiskEvent
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.risk_followups import FollowUps
from kustodia_domain.services.risk_screening import Screening
from kustodia_domain.shared.errors import OperationBlockedError
from kustodia_domain.shared.money import Money


@attrs.frozen
class RiskGate:
    """Screens operations, raises alerts, and hands the follow-ups to a :class:`RiskSession`."""

    screen: RiskScreen
    ids: IdGenerator
    alerts: AlertRepository
    overrides: OverrideRepository
    follow_ups: FollowUps

    def session(self) -> RiskSession:
        """Screenings of one use case; leaving the session applies their follow-up actions."""
        return RiskSession(self)

    async def check(
        self,
        kind: str,
        *,
        actor_id: str | None,
        at: datetime,
        escrow_id: str | None = None,
        amount: Money | None = None,
        attributes: Mapping[str, FactValue] | None = None,
    ) -> Screening:
        """Screen one operation run outside any transaction, and apply its follow-ups at once.

        Raises:
            OperationBlockedError: the decision is ``block``; the caller must change nothing.
        """
        async with self.session() as risk:
            return await risk.check(
                kind,
                actor_id=actor_id,
                at=at,
                escrow_id=escrow_id,
                amount=amount,
                attributes=attributes,
            )

    async def evaluate(self, event: RiskEvent) -> Screening:
        """Screen ``event``, look for an override that lifts it, and raise its alert."""
        decision = await self.screen.screen(event)
        override_id = await self._override(event, decision)
        # Its alert marks a decision already acted on: an event screened again under the same
        # id (a payout found pending by the next dispatch) gets the recorded decision back.
        repeated = needs_alert(decision) and bool(await self.alerts.for_event(event.event_id))
        screening = Screening(
            event=event, decision=decision, override_id=override_id, repeated=repeated
        )
        if needs_alert(decision) and override_id is None and not repeated:
            alert = Alert.raise_for(alert_id=self.ids.new_id("alr"), event=event, decision=decision)
            alert.pull_events()  # the alert's state is its record; the queue reads that
            await self.alerts.save(alert)
        if not screening.lifted and not repeated:
            # Lists change at once, so the next screening of this use case already sees them.
            await self.follow_ups.update_lists(screening)
        return screening

    async def _override(self, event: RiskEvent, decision: RiskDecision) -> str | None:
        if decision.outcome < Outcome.HOLD:
            return None
        for override in await self.overrides.for_event(event.event_id):
            if override.is_effective:
                return override.override_id
        if event.escrow_id is None:
            return None
        for override in await self.overrides.for_escrow(event.escrow_id):
            if override.lifts(event_kind=event.kind, escrow_id=event.escrow_id, decision=decision):
                return override.override_id
        return None


class RiskSession:
    """The screenings of one use case (``async with gate.session() as risk``).

    Enter it *outside* the use case's unit of work (``async with gate.session() as risk,
    self.uow() as uow``): the follow-ups (notifications, compliance reports, freezes) then run
    in their own transactions once the caller's has ended, whether it committed or raised.
    """

    def __init__(self, gate: RiskGate) -> None:
        self._gate = gate
        self._screenings: list[Screening] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        screenings, self._screenings = self._screenings, []
        await self._gate.follow_ups.apply(screenings)

    async def screen(
        self,
        kind: str,
        *,
        actor_id: str | None,
        at: datetime,
        escrow_id: str | None = None,
        amount: Money | None = None,
        attributes: Mapping[str, FactValue] | None = None,
        event_id: str | None = None,
    ) -> Screening:
        """Screen one operation; a verdict is returned, never raised.

        ``event_id`` names the event when the same operation may be screened again (a payout
        retried by every dispatch): the screen then answers with the decision it recorded.
        """
        event = RiskEvent(
            event_id=event_id or self._gate.ids.new_id("rke"),
            kind=kind,
            occurred_at=at,
            actor_id=actor_id,
            escrow_id=escrow_id,
            amount=amount,
            attributes=dict(attributes or {}),
        )
        screening = await self._gate.evaluate(event)
        self._screenings.append(screening)
        return screening

    async def check(
        self,
        kind: str,
        *,
        actor_id: str | None,
        at: datetime,
        escrow_id: str | None = None,
        amount: Money | None = None,
        attributes: Mapping[str, FactValue] | None = None,
        event_id: str | None = None,
    ) -> Screening:
        """Screen one operation that a ``block`` must stop (``event_id`` as in :meth:`screen`).

        Raises:
            OperationBlockedError: the decision is ``block`` and no override lifts it.
        """
        screening = await self.screen(
            kind,
            actor_id=actor_id,
            at=at,
            escrow_id=escrow_id,
            amount=amount,
            attributes=attributes,
            event_id=event_id,
        )
        if screening.blocks:
            raise OperationBlockedError(kind, screening.decision.reasons)
        return screening


def record(escrow: Escrow, screening: Screening, operation: str, at: datetime) -> None:
    """Make ``screening`` visible in the escrow's timeline."""
    decision = screening.decision
    escrow.record_screening(
        operation=operation,
        outcome=decision.outcome.label,
        score=decision.score,
        rules=decision.reasons,
        ruleset=decision.ruleset,
        at=at,
        event_id=screening.event.event_id,
        override_id=screening.override_id,
    )


def apply(escrow: Escrow, screening: Screening, operation: str, at: datetime) -> bool:
    """Record ``screening`` on the escrow; hold it when the decision says so.

    A ``hold`` the escrow cannot take (it is not ``funded``) flags it for review instead, so the
    decision still reaches staff beside its alert.

    Returns:
        Whether this decision put the escrow on hold (the operation must then not go on).
    """
    record(escrow, screening, operation, at)
    if not screening.holds:
        return False
    reason = f"risk screening of {operation}: {', '.join(screening.decision.reasons)}"
    if escrow.state is EscrowState.FUNDED:
        escrow.hold(reason, at, by_risk=True)
        return True
    escrow.flag_for_review(f"{reason} ({screening.event.event_id})", at)
    return False


def escrow_facts(escrow: Escrow) -> dict[str, FactValue]:
    """Plain facts about an escrow that rules may read."""
    return {
        "payer_id": escrow.payer_id,
        "payee_id": escrow.payee_id,
        "escrow_kind": escrow.kind.value,
        "custody_percent": escrow.terms.custody_percent,
    }
