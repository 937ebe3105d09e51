"""Applying risk decisions: the one place use cases turn a screen's verdict into effects.

``block`` raises ``OperationBlockedError`` before anything changes; ``hold`` puts a funded escrow
``on_hold`` (nothing moves); every decision about an escrow is recorded in its timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.states import EscrowState
from kustodia_domain.fraud.screening import FactValue, Outcome, RiskDecision, RiskEvent
from kustodia_domain.ports.clock import IdGenerator
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.shared.errors import OperationBlockedError
from kustodia_domain.shared.money import Money


@attrs.frozen
class RiskGate:
    """Screens operations and applies the decisions."""

    screen: RiskScreen
    ids: IdGenerator

    async def check(
        self,
        kind: str,
        *,
        actor_id: str | None,
        at: datetime,
        escrow_id: str | None = None,
        amount: Money | None = None,
        attributes: Mapping[str, FactValue] | None = None,
    ) -> RiskDecision:
        """Screen one operation.

        Raises:
            OperationBlockedError: the decision is ``block``; the caller must change nothing.
        """
        decision = await self.screen.screen(
            RiskEvent(
                event_id=self.ids.new_id("rke"),
                kind=kind,
                occurred_at=at,
                actor_id=actor_id,
                escrow_id=escrow_id,
                amount=amount,
                attributes=dict(attributes or {}),
            )
        )
        if decision.outcome is Outcome.BLOCK:
            raise OperationBlockedError(kind, decision.reasons)
        return decision

    @staticmethod
    def apply(escrow: Escrow, decision: RiskDecision, operation: str, at: datetime) -> bool:
        """Record ``decision`` on the escrow; hold it when the decision says so.

        Returns:
            Whether this decision put the escrow on hold (the operation must then not go on).
        """
        escrow.record_screening(
            operation=operation,
            outcome=decision.outcome.label,
            score=decision.score,
            rules=decision.reasons,
            ruleset=decision.ruleset,
            at=at,
        )
        if decision.outcome is Outcome.HOLD and escrow.state is EscrowState.FUNDED:
            escrow.hold(f"risk screening of {operation}: {', '.join(decision.reasons)}", at)
            return True
        return False


def escrow_facts(escrow: Escrow) -> dict[str, FactValue]:
    """Plain facts about an escrow that rules may read."""
    return {
        "payer_id": escrow.payer_id,
        "payee_id": escrow.payee_id,
        "escrow_kind": escrow.kind.value,
        "custody_percent": escrow.terms.custody_percent,
    }
