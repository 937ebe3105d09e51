"""The review queue: alerts are cleared or confirmed once; overrides need four eyes."""

from __future__ import annotations

import pytest

from kustodia_adapters.in_memory.fraud import InMemoryAlertRepository, InMemoryOverrideRepository
from kustodia_domain.fraud.alerts import Alert, AlertRaised, AlertResolved, AlertState, needs_alert
from kustodia_domain.fraud.errors import (
    InvalidAlertTransitionError,
    InvalidOverrideTransitionError,
    JustificationTooShortError,
    OverrideNotNeededError,
    SecondApproverRequiredError,
)
from kustodia_domain.fraud.overrides import (
    Override,
    OverrideDecided,
    OverrideRequested,
    OverrideState,
)
from kustodia_domain.fraud.screening import FiredRule, Outcome, RiskDecision
from kustodia_domain.shared.errors import ValidationError
from tests.unit.fraud.builders import HOUR, PAYEE, PAYER, T0, event

JUSTIFICATION = "Customer sent the signed delivery receipt"


def decision(outcome: Outcome, event_id: str = "evt_1") -> RiskDecision:
    return RiskDecision(event_id=event_id, outcome=outcome, score=10, ruleset="abc")


def alert() -> Alert:
    item = event("escrow.fund", event_id="evt_1")
    return Alert.raise_for(alert_id="al_1", event=item, decision=decision(Outcome.HOLD))


def test_review_hold_and_block_decisions_go_to_the_queue_and_flags_do_not() -> None:
    assert [needs_alert(decision(o)) for o in Outcome] == [False, False, True, True, True]


def test_an_alert_records_the_event_its_parties_and_that_it_was_raised() -> None:
    raised = alert()

    assert (raised.state, raised.party_ids, raised.escrow_id) == (
        AlertState.OPEN,
        (PAYEE, PAYER),
        "esc_1",
    )
    (recorded,) = raised.pull_events()
    assert isinstance(recorded, AlertRaised)
    assert (recorded.sequence, recorded.outcome) == (1, "hold")


def test_an_alert_is_not_raised_for_an_allow_decision_or_another_event() -> None:
    item = event("escrow.fund", event_id="evt_1")

    with pytest.raises(ValidationError):
        Alert.raise_for(alert_id="a", event=item, decision=decision(Outcome.FLAG))
    with pytest.raises(ValidationError):
        Alert.raise_for(alert_id="a", event=item, decision=decision(Outcome.HOLD, "evt_2"))


def test_an_open_alert_is_cleared_once_and_cannot_be_confirmed_afterwards() -> None:
    raised = alert()
    raised.clear(by="analyst_1", at=T0 + HOUR, note="known customer")

    with pytest.raises(InvalidAlertTransitionError) as caught:
        raised.confirm_fraud(by="analyst_2", at=T0 + 2 * HOUR)

    assert caught.value.code == "risk.alert.invalid_transition"
    assert (raised.state, raised.resolved_by) == (AlertState.CLEARED, "analyst_1")
    assert isinstance(raised.pull_events()[-1], AlertResolved)


def test_confirming_fraud_closes_the_alert() -> None:
    raised = alert()
    raised.confirm_fraud(by="analyst_1", at=T0 + HOUR, note="mule")

    assert raised.state is AlertState.CONFIRMED_FRAUD
    with pytest.raises(InvalidAlertTransitionError):
        raised.clear(by="analyst_1", at=T0 + HOUR)


def test_an_override_needs_a_justification_of_at_least_twenty_characters() -> None:
    with pytest.raises(JustificationTooShortError) as caught:
        Override.request(
            override_id="ov",
            decision=decision(Outcome.HOLD),
            escrow_id="e",
            requested_by="admin_1",
            justification="  too short, sorry  ",
            at=T0,
        )

    assert (caught.value.length, caught.value.minimum) == (16, 20)
    assert caught.value.code == "risk.override.justification_too_short"


def test_only_hold_and_block_decisions_are_overridden() -> None:
    with pytest.raises(OverrideNotNeededError):
        Override.request(
            override_id="ov",
            decision=decision(Outcome.REVIEW),
            escrow_id="e",
            requested_by="admin_1",
            justification=JUSTIFICATION,
            at=T0,
        )


def test_the_requester_cannot_approve_their_own_override() -> None:
    override = Override.request(
        override_id="ov",
        decision=decision(Outcome.BLOCK),
        escrow_id="e",
        requested_by="admin_1",
        justification=JUSTIFICATION,
        at=T0,
    )

    with pytest.raises(SecondApproverRequiredError):
        override.approve(by="admin_1", at=T0 + HOUR)
    assert not override.is_effective


def test_a_second_admin_approves_once_and_both_steps_are_recorded_as_events() -> None:
    override = Override.request(
        override_id="ov",
        decision=decision(Outcome.HOLD),
        escrow_id="e",
        requested_by="admin_1",
        justification=f"  {JUSTIFICATION} ",
        at=T0,
    )
    override.approve(by="admin_2", at=T0 + HOUR)

    with pytest.raises(InvalidOverrideTransitionError):
        override.reject(by="admin_3", at=T0 + 2 * HOUR, reason="late")

    assert override.is_effective
    requested, decided = override.pull_events()
    assert isinstance(requested, OverrideRequested)
    assert requested.justification == JUSTIFICATION
    assert isinstance(decided, OverrideDecided)
    assert (decided.sequence, decided.state, decided.decided_by) == (2, "approved", "admin_2")


def test_a_second_admin_may_reject_an_override() -> None:
    override = Override.request(
        override_id="ov",
        decision=decision(Outcome.HOLD),
        escrow_id=None,
        requested_by="admin_1",
        justification=JUSTIFICATION,
        at=T0,
    )
    override.reject(by="admin_2", at=T0 + HOUR, reason="receipt is forged")

    assert (override.state, override.is_effective) == (OverrideState.REJECTED, False)


async def test_alerts_are_stored_as_copies_and_listed_by_state() -> None:
    repository = InMemoryAlertRepository()
    raised = alert()
    await repository.save(raised)
    raised.clear(by="analyst", at=T0 + HOUR)

    stored = await repository.get("al_1")

    assert stored is not None
    assert stored.state is AlertState.OPEN
    assert [a.alert_id for a in await repository.by_state(AlertState.OPEN)] == ["al_1"]
    assert [a.alert_id for a in await repository.for_event("evt_1")] == ["al_1"]
    assert await repository.get("missing") is None


async def test_overrides_are_stored_as_copies() -> None:
    repository = InMemoryOverrideRepository()
    override = Override.request(
        override_id="ov",
        decision=decision(Outcome.HOLD),
        escrow_id="e",
        requested_by="admin_1",
        justification=JUSTIFICATION,
        at=T0,
    )
    await repository.save(override)
    override.approve(by="admin_2", at=T0 + HOUR)

    stored = await repository.get("ov")

    assert stored is not None
    assert stored.state is OverrideState.PENDING
    assert [o.override_id for o in await repository.for_event("evt_1")] == ["ov"]


def test_an_override_asked_from_an_alert_names_its_event_kind_and_rules() -> None:
    raised = alert()
    override = Override.request_for_alert(
        override_id="ov", alert=raised, requested_by="admin_1", justification=JUSTIFICATION, at=T0
    )

    assert (override.event_id, override.event_kind, override.escrow_id) == (
        "evt_1",
        "escrow.fund",
        "esc_1",
    )
    assert (override.original_outcome, override.rule_ids) == (Outcome.HOLD, raised.rule_ids)


def fired(*rule_ids: str, outcome: Outcome = Outcome.HOLD) -> RiskDecision:
    rules = tuple(
        FiredRule(rule_id=rule_id, outcome=outcome, score=0, explanation="") for rule_id in rule_ids
    )
    return RiskDecision(event_id="evt_9", outcome=outcome, fired=rules)


def test_an_approved_override_lifts_the_same_rules_on_the_same_escrow_and_operation_only() -> None:
    override = Override.request(
        override_id="ov",
        decision=fired("ESC-SPEI-02", "ESC-REL-01"),
        escrow_id="esc_1",
        requested_by="admin_1",
        justification=JUSTIFICATION,
        at=T0,
        event_kind="release",
    )
    same = {"event_kind": "release", "escrow_id": "esc_1"}
    assert not override.lifts(**same, decision=fired("ESC-SPEI-02"))  # not approved yet
    override.approve(by="admin_2", at=T0 + HOUR)

    assert override.lifts(**same, decision=fired("ESC-SPEI-02"))
    assert not override.lifts(**same, decision=fired("ESC-SPEI-02", "ESC-VEL-02"))
    assert not override.lifts(**same, decision=fired("ESC-SPEI-02", outcome=Outcome.BLOCK))
    assert not override.lifts(event_kind="payout", escrow_id="esc_1", decision=fired("ESC-SPEI-02"))
    assert not override.lifts(
        event_kind="release", escrow_id="esc_2", decision=fired("ESC-SPEI-02")
    )
