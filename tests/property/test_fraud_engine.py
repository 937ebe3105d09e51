"""Properties of the fraud rule engine, checked with generated rulesets, facts and histories.

* rule order never changes a decision;
* making one more rule fire never lowers the outcome or the score;
* a rule that raises gives at least ``review``;
* the same facts and ruleset hash give the same decision (replay);
* a backtest of the active ruleset over the history reproduces the stored decisions exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from random import Random

import attrs
from hypothesis import given
from hypothesis import strategies as st

from kustodia_adapters.in_memory.fraud import (
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_domain.fraud.backtest import backtest
from kustodia_domain.fraud.facts.context import FactSources
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.profiles import KycStatus, PartyProfile
from kustodia_domain.fraud.rules import Rule
from kustodia_domain.fraud.ruleset import Ruleset
from kustodia_domain.fraud.ruleset_files import default_ruleset, load_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.fraud.screening import FactValue, Outcome, RiskEvent
from kustodia_domain.fraud.vocabulary import EVENT_KINDS
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money

KINDS = sorted(EVENT_KINDS)
WORDS = ["verified", "pending", "rejected", "none", "payer", "payee", "scheduler", "other",
         "hold", "block", "review", "definitive", "presumed", "standard", "dual_approval",
         "escrow.fund", "release", "", "166", "002"]  # fmt: skip


def _default_text() -> str:
    toml = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return toml.read_text(encoding="utf-8")


def _value(type_: str) -> st.SearchStrategy[FactValue]:
    if type_ == "bool":
        return st.one_of(st.none(), st.booleans())
    if type_ == "str":
        return st.one_of(st.none(), st.sampled_from(WORDS))
    small = st.integers(min_value=-2, max_value=12)
    large = st.integers(min_value=0, max_value=40_000_000)
    return st.one_of(
        st.none(),
        small,
        large,
        st.sampled_from([599, 600, 1_799, 86_399, 86_400, 604_799, 604_800, 652_500]),
    )


@st.composite
def kind_and_facts(
    draw: st.DrawFn, ruleset: Ruleset | None = None
) -> tuple[str, dict[str, FactValue]]:
    rules = ruleset or default_ruleset()
    kind = draw(st.sampled_from(KINDS))
    facts: dict[str, FactValue] = {"event.kind": kind}
    for request in rules.facts_for(kind):
        if request.key != "event.kind":
            facts[request.key] = draw(_value(request.family.type))
    return kind, facts


# ------------------------------------------------------------------ order and replay


@given(kind_and_facts(), st.randoms(use_true_random=False))
def test_rule_order_never_changes_a_decision(
    case: tuple[str, dict[str, FactValue]], random: Random
) -> None:
    _, facts = case
    active = default_ruleset()
    shuffled = list(active.rules)
    random.shuffle(shuffled)
    reordered = Ruleset(
        name=active.name,
        version=active.version,
        rules=shuffled,
        catalog=active.catalog,
        scoring=active.scoring,
        settings=active.settings,
        description=active.description,
    )

    assert reordered.digest == active.digest
    assert reordered.decide("evt", facts) == active.decide("evt", facts)


_BLOCKS = _default_text().split("[[rules]]")


@given(st.permutations(range(1, len(_BLOCKS))), kind_and_facts())
def test_the_same_facts_and_ruleset_hash_give_the_same_decision(
    order: list[int], case: tuple[str, dict[str, FactValue]]
) -> None:
    _, facts = case
    text = _BLOCKS[0] + "".join("[[rules]]" + _BLOCKS[i] for i in order)
    # Reformat the conditions (not the explanations, which are part of what is hashed).
    respaced = "\n".join(
        line.replace(" and ", "  and  ") if line.startswith("when") else line
        for line in text.splitlines()
    )
    reloaded = load_ruleset(respaced)

    first = default_ruleset().decide("evt", facts)

    assert reloaded.digest == default_ruleset().digest
    assert reloaded.decide("evt", dict(facts)) == first
    assert default_ruleset().decide("evt", first.facts, first.fact_errors) == first


# ------------------------------------------------------------------ monotonicity and failure

INT_FACTS = ["event.amount_minor", "payer.kyc_level", "payer.account_age_seconds",
             "payee.account_age_seconds", "payer.funded_minor[1d]", "payer.fund_count[1d]",
             "escrow.amount_minor", "escrow.distinct_source_clabes"]  # fmt: skip
OUTCOMES = [o.label for o in Outcome]


def _spelled(key: str) -> str:
    """A fact key as a condition writes it: ``payer.fund_count["1d"]``."""
    name, _, args = key.partition("[")
    return f'{name}["{args[:-1]}"]' if args else name


@st.composite
def synthetic_rulesets(draw: st.DrawFn) -> tuple[str, list[int]]:
    """Rules ``R-i``: ``INT_FACTS[i] >= threshold_i`` with random outcomes and scores."""
    count = draw(st.integers(min_value=1, max_value=len(INT_FACTS)))
    thresholds = draw(st.lists(st.integers(0, 1_000), min_size=count, max_size=count))
    parts = ['[ruleset]\nname = "synthetic"\nversion = "1"\n']
    for index, threshold in enumerate(thresholds):
        outcome = draw(st.sampled_from(OUTCOMES))
        score = draw(st.integers(0, 60))
        parts.append(
            f'[[rules]]\nid = "R-{index}"\ntitle = "r{index}"\nseverity = "low"\n'
            f"events = [\"escrow.fund\"]\nwhen = '{_spelled(INT_FACTS[index])} >= params.t'\n"
            f'outcome = "{outcome}"\nscore = {score}\nparams = {{ t = {threshold} }}\n'
        )
    return "\n".join(parts), thresholds


@given(synthetic_rulesets(), st.data())
def test_making_one_more_rule_fire_never_lowers_the_outcome_or_the_score(
    synthetic: tuple[str, list[int]], data: st.DataObject
) -> None:
    text, thresholds = synthetic
    ruleset = load_ruleset(text)
    facts: dict[str, FactValue] = {"event.kind": "escrow.fund"} | {
        key: data.draw(st.one_of(st.none(), st.integers(0, 1_000))) for key in INT_FACTS
    }
    before = ruleset.decide("evt", facts)
    quiet = [i for i in range(len(thresholds)) if f"R-{i}" not in before.reasons]
    if not quiet:
        return
    chosen = data.draw(st.sampled_from(quiet))

    after = ruleset.decide("evt", facts | {INT_FACTS[chosen]: thresholds[chosen]})

    assert set(after.reasons) == set(before.reasons) | {f"R-{chosen}"}
    assert after.outcome >= before.outcome
    assert after.score >= before.score


def _raising(rule_id: str) -> Rule:
    def condition(facts: Mapping[str, FactValue]) -> object:
        raise RuntimeError("rule bug")

    return Rule(
        rule_id=rule_id,
        title="raises",
        severity="low",
        events=frozenset({"*"}),
        outcome=Outcome.FLAG,
        score=5,
        condition=condition,
        explain=lambda facts: "",
        facts=(),
        condition_text="raise",
    )


@given(kind_and_facts())
def test_a_rule_that_raises_gives_at_least_review(case: tuple[str, dict[str, FactValue]]) -> None:
    _, facts = case
    active = default_ruleset()
    with_bug = Ruleset(
        name="bug",
        version="1",
        rules=(*active.rules, _raising("ZZ-BUG-01")),
        catalog=active.catalog,
        scoring=active.scoring,
        settings=active.settings,
    )

    decision = with_bug.decide("evt", facts)

    assert decision.outcome >= max(Outcome.REVIEW, active.decide("evt", facts).outcome)
    assert any(hit.failed and hit.rule_id == "ZZ-BUG-01" for hit in decision.fired)


@given(synthetic_rulesets(), st.integers(0, 1_000))
def test_a_condition_that_divides_by_zero_fails_closed(
    synthetic: tuple[str, list[int]], amount: int
) -> None:
    text, _ = synthetic
    broken = text + (
        '\n[[rules]]\nid = "ZZ-DIV-01"\ntitle = "div"\nseverity = "low"\n'
        'events = ["escrow.fund"]\nwhen = "event.amount_minor // params.zero > 0"\n'
        'outcome = "flag"\nparams = { zero = 0 }\n'
    )

    decision = load_ruleset(broken).decide(
        "evt", {"event.kind": "escrow.fund", "event.amount_minor": amount}
    )

    assert decision.outcome >= Outcome.REVIEW


# ------------------------------------------------------------------ backtest reproduces

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
USERS = ["u0", "u1", "u2", "u3"]
CLABES = [Clabe.build(bank, "010", str(i)).value for i, bank in enumerate(("002", "012", "014"))]
STREAM_KINDS = ["account.created", "kyc.updated", "payout_account.changed", "escrow.create",
                "escrow.fund", "release", "payout", "refund", "dispute.opened",
                "dispute.evidence_uploaded", "payout.returned"]  # fmt: skip


@st.composite
def raw_events(draw: st.DrawFn, index: int) -> RiskEvent:
    payer, payee = draw(st.permutations(USERS))[:2]
    attributes: dict[str, str | int | bool] = {"payer_id": payer, "payee_id": payee}
    for name, values in (
        ("device", ["d0", "d1"]),
        ("ip", ["ip0", "ip1"]),
        ("source_clabe", CLABES),
        ("destination_clabe", CLABES),
        ("payout_clabe", CLABES),
        ("rfc", ["RFC0", "RFC1"]),
        ("evidence_sha256", ["h0", "h1"]),
        ("sender_name", ["Ana", "Beto"]),
    ):
        if draw(st.booleans()):
            attributes[name] = draw(st.sampled_from(values))
    minutes = draw(st.integers(min_value=0, max_value=60 * 24 * 40))
    return RiskEvent(
        event_id=f"e{index}",
        kind=draw(st.sampled_from(STREAM_KINDS)),
        occurred_at=T0 + timedelta(minutes=minutes // 7 * 7),  # coarse: many ties
        actor_id=draw(st.sampled_from([payer, payee, None])),
        escrow_id=draw(st.sampled_from(["x0", "x1", "x2"])),
        amount=draw(st.one_of(st.none(), st.integers(1, 3_000_000).map(Money.mxn))),
        attributes=attributes,
    )


@st.composite
def histories(draw: st.DrawFn) -> list[RiskEvent]:
    count = draw(st.integers(min_value=1, max_value=18))
    return [draw(raw_events(i)) for i in range(count)]


async def _live_then_replay(events: list[RiskEvent], profile_days: list[int]) -> bool:
    history, profiles, lists = InMemoryRiskHistory(), InMemoryPartyProfiles(), InMemoryRiskLists()
    for user, days in zip(USERS, profile_days, strict=False):
        start = T0 - timedelta(days=days)
        await profiles.save(
            PartyProfile(
                party_id=user,
                valid_from=start,
                created_at=start,
                kyc_status=KycStatus.VERIFIED,
                kyc_level=1 + days % 4,
                kyc_name="Ana",
                payout_clabe=CLABES[days % 3],
                payout_clabe_changed_at=start,
            )
        )
        # Later profile versions and list changes must not leak into earlier decisions.
        await profiles.save(
            PartyProfile(
                party_id=user,
                valid_from=T0 + timedelta(days=20),
                created_at=start,
                kyc_status=KycStatus.REJECTED,
            )
        )
    await lists.add(
        ListEntry.create(
            entry_id="l0",
            list_name=ListName.WATCHLIST,
            kind=ListKind.DEVICE,
            value="d1",
            reason="r",
            source="s",
            added_by="a",
            added_at=T0 + timedelta(days=10),
            expires_at=T0 + timedelta(days=30),
        )
    )
    screen = RuleEngineRiskScreen(
        ruleset=default_ruleset(), history=history, profiles=profiles, lists=lists
    )
    for item in events:
        await screen.screen(item)
    sources = FactSources(history=history, profiles=profiles, lists=lists)
    report = await backtest(default_ruleset(), sources)
    return report.reproduced and report.events == len(events)


@given(histories(), st.lists(st.integers(0, 60), min_size=4, max_size=4))
def test_a_backtest_of_the_active_ruleset_reproduces_the_stored_decisions_exactly(
    events: list[RiskEvent], profile_days: list[int]
) -> None:
    assert asyncio.run(_live_then_replay(events, profile_days))


@given(histories())
def test_replaying_stored_facts_through_the_pure_decision_gives_the_stored_decision(
    events: list[RiskEvent],
) -> None:
    async def run() -> None:
        history = InMemoryRiskHistory()
        screen = RuleEngineRiskScreen(
            ruleset=default_ruleset(),
            history=history,
            profiles=InMemoryPartyProfiles(),
            lists=InMemoryRiskLists(),
        )
        for item in events:
            await screen.screen(item)
        for entry in await history.entries():
            replayed = default_ruleset().decide(
                entry.event.event_id, entry.decision.facts, entry.decision.fact_errors
            )
            assert replayed == entry.decision
            assert attrs.asdict(replayed) == attrs.asdict(entry.decision)

    asyncio.run(run())
