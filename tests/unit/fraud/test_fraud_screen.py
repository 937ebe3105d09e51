"""The rule engine behind the risk-screen port: decide, record, shadow, fail closed."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from importlib import resources

import pytest

from kustodia_adapters.in_memory.fraud import InMemoryRiskHistory, InMemoryRiskLists
from kustodia_domain.fraud.history import HistoryKey
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind
from kustodia_domain.fraud.ruleset_files import default_ruleset, load_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.fraud.screening import Outcome, RiskEvent
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.shared.errors import ValidationError
from tests.contract.test_risk_screen import RiskScreenContract
from tests.unit.fraud.builders import (
    DAY,
    HOUR,
    MINUTE,
    PAYER,
    PAYER_CLABE,
    T0,
    Stores,
    event,
    list_entry,
    profile,
)


class TestRuleEngineRiskScreenContract(RiskScreenContract):
    @pytest.fixture
    async def screen(self) -> RiskScreen:
        return Stores().screen()


async def test_a_new_account_funding_twenty_thousand_pesos_is_held_with_its_reasons() -> None:
    stores = await Stores().with_parties()
    await stores.profiles.save(
        profile(PAYER, created=T0 - 2 * DAY, registered_clabes=(PAYER_CLABE,))
    )

    decision = await stores.decide(
        event(
            "escrow.fund",
            amount=2_000_000,
            source_clabe=PAYER_CLABE,
            sender_name="Ana Maria Lopez Soto",
        )
    )

    assert (decision.outcome, decision.reasons) == (Outcome.HOLD, ("ESC-AMT-01",))
    assert decision.fired[0].explanation == "account 2d old funds 20,000.00 MXN"
    assert decision.facts["payer.account_age_seconds"] == 2 * 86_400


async def test_every_screened_event_is_recorded_with_its_decision() -> None:
    stores = await Stores().with_parties()
    item = event("escrow.create", amount=100_000)

    decision = await stores.decide(item)

    entry = await stores.history.entry(item.event_id)
    assert entry is not None
    assert (entry.event, entry.decision, entry.sequence) == (item, decision, 0)


async def test_screening_the_same_event_twice_returns_the_first_decision_and_records_once() -> None:
    stores = await Stores().with_parties()
    screen = stores.screen()
    item = event("escrow.fund", amount=100_000, escrow="e")

    first = await screen.screen(item)
    await stores.lists.add(list_entry(PAYER, kind=ListKind.USER, added_at=T0 - DAY))
    second = await screen.screen(item)

    assert second == first
    assert len(await stores.history.entries()) == 1


async def test_a_blocklisted_payout_clabe_blocks_the_payout() -> None:
    stores = await Stores().with_parties()
    await stores.lists.add(list_entry(PAYER_CLABE, kind=ListKind.CLABE))

    decision = await stores.decide(
        event("payout", actor=None, amount=1_000, destination_clabe=PAYER_CLABE)
    )

    assert decision.outcome is Outcome.BLOCK
    assert decision.reasons == ("ESC-LST-03",)
    assert "clabe on blocklist" in decision.fired[0].explanation


async def test_the_velocity_of_one_payer_reaches_review_on_the_fifth_escrow_of_the_day() -> None:
    stores = await Stores().with_parties()
    screen = stores.screen()
    outcomes = []
    for index in range(5):
        escrow = f"esc_{index}"
        await screen.screen(
            event(
                "escrow.create",
                at=T0 + index * HOUR,
                escrow=escrow,
                amount=10_000,
                has_invoice=True,
            )
        )
        decision = await screen.screen(
            event(
                "escrow.fund",
                at=T0 + index * HOUR + MINUTE,
                escrow=escrow,
                amount=10_000,
                source_clabe=PAYER_CLABE,
            )
        )
        outcomes.append(decision.outcome)

    assert outcomes == [Outcome.ALLOW] * 4 + [Outcome.REVIEW]


async def test_a_candidate_ruleset_runs_in_shadow_and_never_changes_the_returned_decision() -> None:
    stores = await Stores().with_parties()
    strict = load_ruleset(
        _default_text()
        .replace('version = "2026.1"', 'version = "strict"')
        .replace("max_escrows = 5", "max_escrows = 1")
    )
    screen = stores.screen(shadow=(strict,))
    item = event("escrow.fund", amount=10_000, source_clabe=PAYER_CLABE)

    decision = await screen.screen(item)

    entry = await stores.history.entry(item.event_id)
    assert entry is not None
    assert decision.outcome is Outcome.ALLOW
    (shadow,) = entry.shadow
    assert (shadow.ruleset, shadow.outcome, shadow.reasons) == (
        strict.digest,
        Outcome.REVIEW,
        ("ESC-VEL-01",),
    )


async def test_a_list_store_that_cannot_answer_stops_the_screening_instead_of_allowing() -> None:
    class BrokenLists(InMemoryRiskLists):
        async def active_matches(
            self, identifiers: Collection[Identifier], at: datetime
        ) -> tuple[ListEntry, ...]:
            raise ConnectionError("lists unavailable")

    stores = await Stores().with_parties()
    stores.lists = BrokenLists()

    with pytest.raises(ConnectionError):
        # Preparing the event's data is not a rule: a store that cannot answer at all is an
        # infrastructure failure the use case sees (and retries), never an "allow".
        await stores.decide(event("escrow.create", amount=100))


async def test_a_history_query_that_fails_makes_the_rules_reading_it_fail_closed() -> None:
    class FlakyHistory(InMemoryRiskHistory):
        async def events(self, key: HistoryKey, **window: object) -> Sequence[RiskEvent]:
            raise TimeoutError("history replica lagging")

    stores = await Stores().with_parties()
    stores.history = FlakyHistory()

    decision = await stores.decide(event("escrow.fund", amount=100, source_clabe=PAYER_CLABE))

    assert decision.outcome is Outcome.REVIEW
    assert decision.fired
    assert all(hit.failed for hit in decision.fired)
    assert "ESC-VEL-01" in decision.reasons
    assert decision.fact_errors["payer.funded_minor[1d]"] == "TimeoutError: history replica lagging"


async def test_an_event_without_a_time_zone_is_rejected() -> None:
    naive = RiskEvent(
        event_id="e",
        kind="payout",
        occurred_at=datetime(2026, 1, 1),  # noqa: DTZ001
        actor_id=None,
    )

    with pytest.raises(ValidationError):
        await Stores().decide(naive)


def test_the_screen_exposes_its_active_ruleset() -> None:
    screen: RuleEngineRiskScreen = Stores().screen()

    assert screen.ruleset is default_ruleset()


def _default_text() -> str:
    toml = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return toml.read_text(encoding="utf-8")


async def test_a_shadow_ruleset_that_cannot_be_evaluated_never_disturbs_the_active_decision() -> (
    None
):
    class ListsDown(InMemoryRiskLists):
        async def active_matches(
            self, identifiers: Collection[Identifier], at: datetime
        ) -> tuple[ListEntry, ...]:
            raise ConnectionError("lists down")

    stores = await Stores().with_parties()
    stores.lists = ListsDown()
    other_zone = load_ruleset(
        _default_text()
        .replace('version = "2026.1"', 'version = "utc"')
        .replace('timezone = "America/Mexico_City"', 'timezone = "UTC"')
    )
    lenient = load_ruleset(_MINIMAL_LIST_FREE)
    screen = stores.screen(ruleset=lenient, shadow=(other_zone,))
    item = event("escrow.create", amount=100, has_invoice=True)

    decision = await screen.screen(item)

    entry = await stores.history.entry(item.event_id)
    assert entry is not None
    assert decision.outcome is Outcome.ALLOW
    (shadow,) = entry.shadow
    assert (shadow.ruleset, shadow.outcome) == (other_zone.digest, Outcome.REVIEW)
    assert shadow.fact_errors == {"*": "ConnectionError: lists down"}


_MINIMAL_LIST_FREE = """
[ruleset]
name = "lenient"
version = "1"

[[rules]]
id = "ESC-AMT-03"
title = "Large round amount"
severity = "low"
events = ["escrow.create"]
when = 'event.amount_minor >= 1000000 and not event.has_invoice'
outcome = "flag"
score = 10
"""
