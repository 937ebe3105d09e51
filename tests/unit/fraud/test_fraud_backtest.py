"""Backtests replay the stored history as of each event; shadow reports and rule metrics."""

from __future__ import annotations

from importlib import resources

from kustodia_domain.fraud.alerts import Alert
from kustodia_domain.fraud.backtest import backtest, shadow_report
from kustodia_domain.fraud.metrics import rule_metrics
from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.fraud.ruleset_files import default_ruleset, load_ruleset
from kustodia_domain.fraud.screening import Outcome
from tests.unit.fraud.builders import (
    DAY,
    HOUR,
    MINUTE,
    PAYEE,
    PAYER,
    PAYER_CLABE,
    T0,
    Stores,
    event,
    profile,
)


def candidate() -> str:
    text = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return text.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "next"')


async def busy_day(stores: Stores) -> list[str]:
    """Five escrows funded by one payer in a day, each created, funded and released."""
    screen = stores.screen()
    funding_ids = []
    for index in range(5):
        escrow = f"esc_{index}"
        start = T0 + index * HOUR
        await screen.screen(
            event("escrow.create", at=start, escrow=escrow, amount=50_000, has_invoice=True)
        )
        funding = event(
            "escrow.fund", at=start + MINUTE, escrow=escrow, amount=50_000, source_clabe=PAYER_CLABE
        )
        funding_ids.append(funding.event_id)
        await screen.screen(funding)
        await screen.screen(event("release", at=start + 2 * DAY, escrow=escrow, amount=50_000))
    return funding_ids


async def test_a_backtest_of_the_active_ruleset_reproduces_every_stored_decision() -> None:
    stores = await Stores().with_parties()
    await busy_day(stores)
    # Profiles and lists change afterwards; the replay still sees them as they were.
    await stores.profiles.save(
        profile(PAYER, valid_from=T0 + 10 * DAY, kyc_level=1, kyc_status=KycStatus.REJECTED)
    )

    report = await backtest(default_ruleset(), stores.sources)

    assert report.events == 15
    assert report.reproduced
    assert report.changes == ()


async def test_a_stricter_candidate_reports_which_decisions_and_rules_would_change() -> None:
    stores = await Stores().with_parties()
    fundings = await busy_day(stores)
    stricter = load_ruleset(candidate().replace("max_escrows = 5", "max_escrows = 3"))

    report = await backtest(stricter, stores.sources)

    assert report.ruleset == stricter.digest
    assert [c.event_id for c in report.changes] == fundings[2:4]
    assert all(c.before is Outcome.ALLOW and c.after is Outcome.REVIEW for c in report.changes)
    (velocity,) = [r for r in report.rules if r.rule_id == "ESC-VEL-01"]
    assert (velocity.fired_before, velocity.fired_after, velocity.newly_fired) == (1, 3, 2)
    assert report.exact == 0  # every decision names another ruleset hash


async def test_a_backtest_can_be_limited_to_a_time_range() -> None:
    stores = await Stores().with_parties()
    await busy_day(stores)

    report = await backtest(default_ruleset(), stores.sources, since=T0 + DAY, until=T0 + 3 * DAY)

    assert report.events == 5  # the releases


async def test_the_shadow_report_compares_stored_shadow_decisions_without_replaying() -> None:
    stores = await Stores().with_parties()
    stricter = load_ruleset(candidate().replace("max_escrows = 5", "max_escrows = 3"))
    screen = stores.screen(shadow=(stricter,))
    for index in range(3):
        await screen.screen(
            event(
                "escrow.fund",
                at=T0 + index * HOUR,
                escrow=f"e{index}",
                amount=50_000,
                source_clabe=PAYER_CLABE,
            )
        )

    report = shadow_report(await stores.history.entries(), stricter.digest)

    assert report.events == 3
    assert [c.after for c in report.changes] == [Outcome.REVIEW]


async def test_rule_metrics_count_firings_outcomes_and_later_verdicts() -> None:
    stores = await Stores().with_parties()
    fundings = await busy_day(stores)
    entries = await stores.history.entries()
    fifth = next(e for e in entries if e.event.event_id == fundings[4])
    alert = Alert.raise_for(alert_id="al_1", event=fifth.event, decision=fifth.decision)
    alert.confirm_fraud(by="analyst", at=T0 + 3 * DAY, note="mule ring")

    metrics = rule_metrics(entries, alerts=[alert], lost_dispute_escrows={"esc_4"})

    (velocity,) = metrics
    assert (velocity.rule_id, velocity.fired, velocity.outcomes) == ("ESC-VEL-01", 1, {"review": 1})
    assert (velocity.confirmed_fraud, velocity.cleared, velocity.lost_disputes) == (1, 0, 1)
    assert velocity.precision_permille == 1000


async def test_metrics_of_a_shadow_ruleset_read_its_stored_decisions() -> None:
    stores = await Stores().with_parties()
    stricter = load_ruleset(candidate().replace("max_escrows = 5", "max_escrows = 1"))
    screen = stores.screen(shadow=(stricter,))
    await screen.screen(event("escrow.fund", amount=50_000, source_clabe=PAYER_CLABE))

    active = rule_metrics(await stores.history.entries())
    shadow = rule_metrics(await stores.history.entries(), ruleset=stricter.digest)

    assert active == ()
    assert [m.rule_id for m in shadow] == ["ESC-VEL-01"]


async def test_a_late_event_does_not_change_the_replay_of_decisions_made_before_it_arrived() -> (
    None
):
    stores = await Stores().with_parties()
    screen = stores.screen()
    for index in range(4):
        await screen.screen(
            event(
                "escrow.fund",
                at=T0 + index * HOUR,
                escrow=f"e{index}",
                amount=50_000,
                source_clabe=PAYER_CLABE,
            )
        )
    # A deposit that happened before all of them is only reported now.
    await screen.screen(
        event(
            "escrow.fund",
            at=T0 - HOUR,
            escrow="late",
            amount=50_000,
            source_clabe=PAYER_CLABE,
            payee_id=PAYEE,
        )
    )

    report = await backtest(default_ruleset(), stores.sources)

    assert report.reproduced
