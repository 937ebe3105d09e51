"""Valid fraud-engine records for the contract suites of the fraud stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kustodia_domain.fraud.alerts import Alert
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.overrides import Override
from kustodia_domain.fraud.profiles import KycStatus, PartyProfile
from kustodia_domain.fraud.screening import FactValue, FiredRule, Outcome, RiskDecision, RiskEvent
from kustodia_domain.shared.money import Money

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
PAYER, PAYEE = "u_payer", "u_payee"
JUSTIFICATION = "Customer sent the signed delivery receipt"


def event(
    event_id: str,
    kind: str = "escrow.fund",
    *,
    at: datetime = T0,
    actor: str | None = PAYER,
    escrow: str | None = "esc_1",
    amount: Money | None = None,
    **attributes: FactValue,
) -> RiskEvent:
    """A screened event between PAYER and PAYEE unless ``attributes`` say otherwise."""
    attributes.setdefault("payer_id", PAYER)
    attributes.setdefault("payee_id", PAYEE)
    return RiskEvent(
        event_id=event_id,
        kind=kind,
        occurred_at=at,
        actor_id=actor,
        escrow_id=escrow,
        amount=amount,
        attributes=attributes,
    )


def allow(event_id: str) -> RiskDecision:
    return RiskDecision(event_id=event_id, outcome=Outcome.ALLOW, facts={"event.kind": "x"})


def held(event_id: str, ruleset: str = "ruleset-sha") -> RiskDecision:
    """A ``hold`` with a fired rule, every kind of fact value, an error and an action."""
    rule = FiredRule(
        rule_id="velocity.payer_funds",
        outcome=Outcome.HOLD,
        score=40,
        explanation="Too many fundings in an hour",
        parameters={"limit": 3, "window": "1h", "strict": True, "cap": None},
        actions=("step_up",),
    )
    failed = FiredRule(
        rule_id="lists.uif",
        outcome=Outcome.REVIEW,
        score=0,
        explanation="could not read the list",
        failed=True,
    )
    return RiskDecision(
        event_id=event_id,
        outcome=Outcome.HOLD,
        score=40,
        fired=(rule, failed),
        ruleset=ruleset,
        facts={"payer.funded_escrows": 4, "payer.pep": False, "payer.kyc": "verified", "x": None},
        actions=("step_up",),
        fact_errors={"lists.uif": "timeout"},
        ruleset_label="default@7",
    )


def profile(party: str, *, valid_from: datetime = T0 - 400 * DAY, **fields: Any) -> PartyProfile:
    values: dict[str, Any] = {
        "party_id": party,
        "valid_from": valid_from,
        "created_at": T0 - 400 * DAY,
        "kyc_status": KycStatus.VERIFIED,
        "kyc_level": 3,
    } | fields
    return PartyProfile(**values)


def list_entry(
    entry_id: str,
    value: str,
    *,
    kind: ListKind = ListKind.EMAIL,
    list_name: ListName = ListName.BLOCKLIST,
    added_at: datetime = T0 - DAY,
    expires_at: datetime | None = None,
) -> ListEntry:
    return ListEntry.create(
        entry_id=entry_id,
        list_name=list_name,
        kind=kind,
        value=value,
        reason="test",
        source="internal",
        added_by="admin_1",
        added_at=added_at,
        expires_at=expires_at,
    )


def alert(alert_id: str, event_id: str, *, at: datetime = T0) -> Alert:
    return Alert.raise_for(alert_id=alert_id, event=event(event_id, at=at), decision=held(event_id))


def override(
    override_id: str, event_id: str, *, escrow: str | None = "esc_1", at: datetime = T0
) -> Override:
    return Override.request(
        override_id=override_id,
        decision=held(event_id),
        escrow_id=escrow,
        requested_by="admin_1",
        justification=JUSTIFICATION,
        at=at,
        event_kind="escrow.fund",
    )
