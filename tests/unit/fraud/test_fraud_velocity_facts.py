"""History features are computed as of the event: windows, sums, medians, distinct parties."""

from __future__ import annotations

from datetime import UTC, datetime

from kustodia_domain.fraud.settings import Settings
from tests.unit.fraud.builders import (
    DAY,
    HOUR,
    OTHER,
    PAYEE,
    PAYER,
    SECOND,
    T0,
    Stores,
    event,
    profile,
)


async def test_a_window_includes_its_first_instant_and_excludes_anything_older() -> None:
    stores = Stores()
    await stores.remember(
        event("escrow.fund", at=T0 - DAY - SECOND, amount=1, escrow="esc_a"),
        event("escrow.fund", at=T0 - DAY, amount=10, escrow="esc_b"),
        event("escrow.fund", at=T0 - SECOND, amount=100, escrow="esc_c"),
    )

    facts = await stores.facts(
        event("escrow.fund", amount=1_000, escrow="esc_d"),
        "payer.funded_minor[1d]",
        "payer.funded_escrows[1d]",
        "payer.fund_count[1d]",
    )

    assert facts == {
        "payer.funded_minor[1d]": 1_110,
        "payer.funded_escrows[1d]": 3,
        "payer.fund_count[1d]": 2,
    }


async def test_events_at_or_after_the_screened_event_are_not_history_yet() -> None:
    stores = Stores()
    await stores.remember(
        event("escrow.fund", at=T0, amount=7, escrow="esc_same_instant"),
        event("escrow.fund", at=T0 + HOUR, amount=9, escrow="esc_later"),
    )

    funded = await stores.fact(
        event("escrow.fund", amount=1, escrow="esc_x"), "payer.funded_minor[1d]"
    )

    assert funded == 1


async def test_month_to_date_inflow_follows_the_mexico_city_calendar_month() -> None:
    stores = Stores()
    await stores.remember(
        # 23:00 on 28 February in Mexico City (1 March in UTC): last month.
        event("escrow.fund", at=datetime(2026, 3, 1, 5, 0, tzinfo=UTC), amount=1, escrow="a"),
        # 00:30 on 1 March in Mexico City: this month.
        event("escrow.fund", at=datetime(2026, 3, 1, 6, 30, tzinfo=UTC), amount=10, escrow="b"),
        event("payout", at=T0 - HOUR, amount=100, escrow="c", payer_id=OTHER, payee_id=PAYER),
        event("payout", at=T0 - HOUR, amount=1_000, escrow="d"),  # paid to PAYEE
    )

    facts = await stores.facts(
        event("escrow.fund", amount=5), "payer.month_inflow_minor", "payee.month_inflow_minor"
    )

    assert facts == {"payer.month_inflow_minor": 110, "payee.month_inflow_minor": 1_000}


async def test_near_cap_fundings_count_amounts_between_the_floor_and_the_level_cap() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_level=1))  # cap 652,500 centavos
    await stores.remember(
        event("escrow.fund", at=T0 - 29 * DAY, amount=587_250, escrow="a"),  # exactly 90 %
        event("escrow.fund", at=T0 - 2 * DAY, amount=652_500, escrow="b"),  # exactly the cap
        event("escrow.fund", at=T0 - DAY, amount=587_249, escrow="c"),  # just under 90 %
        event("escrow.fund", at=T0 - DAY, amount=652_501, escrow="d"),  # above the cap
        event("escrow.fund", at=T0 - 31 * DAY, amount=600_000, escrow="e"),  # outside
    )

    count = await stores.fact(
        event("escrow.fund", amount=600_000, escrow="f"), "payer.near_cap_count[30d,9000]"
    )

    assert count == 3


async def test_near_cap_fundings_also_count_just_under_a_reporting_threshold() -> None:
    settings = Settings(reporting_thresholds_minor=(5_000_000,))
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_level=4))

    count = await stores.fact(
        event("escrow.fund", amount=4_600_000), "payer.near_cap_count[30d,9000]", settings
    )

    assert count == 1


async def test_the_median_and_count_of_prior_escrows_ignore_the_current_one() -> None:
    stores = Stores()
    await stores.remember(
        *(
            event("escrow.create", at=T0 - i * DAY, amount=amount, escrow=f"e{i}")
            for i, amount in enumerate((100, 300, 200, 10_000), start=1)
        )
    )

    facts = await stores.facts(
        event("escrow.create", amount=1, escrow="new"),
        "payer.escrow_median_minor[90d]",
        "payer.escrows_as_payer[90d]",
        "payee.escrows_as_payee[90d]",
    )

    assert facts == {
        "payer.escrow_median_minor[90d]": 250,
        "payer.escrows_as_payer[90d]": 4,
        "payee.escrows_as_payee[90d]": 4,
    }


async def test_a_payer_without_prior_escrows_has_no_median() -> None:
    assert await Stores().fact(event("escrow.fund"), "payer.escrow_median_minor[90d]") is None


async def test_distinct_payers_releasing_to_a_payee_include_the_current_release() -> None:
    stores = Stores()
    await stores.remember(
        event("release", at=T0 - HOUR, payer_id=OTHER, escrow="a"),
        event("release", at=T0 - HOUR, payer_id=OTHER, escrow="b"),
        event("release", at=T0 - 8 * DAY, payer_id="u_old", escrow="c"),
    )

    assert await stores.fact(event("release"), "payee.release_payers[7d]") == 2


async def test_disputes_opened_by_the_actor_include_the_current_one() -> None:
    stores = Stores()
    await stores.remember(
        *(event("dispute.opened", at=T0 - i * DAY, escrow=f"e{i}") for i in (1, 2, 91))
    )

    assert await stores.fact(event("dispute.opened"), "actor.disputes_opened[90d]") == 3


async def test_an_rfc_already_used_at_sign_up_by_another_account_is_counted_once() -> None:
    stores = Stores()
    await stores.remember(
        event("account.created", at=T0 - DAY, actor=OTHER, rfc="abcd900101xy1"),
        event("kyc.updated", at=T0 - HOUR, actor=OTHER, rfc="ABCD900101XY1"),
        event("account.created", at=T0 - HOUR, actor="u_third", curp="CURP0101"),
    )
    signup = event("account.created", actor="u_new", rfc="ABCD-900101-XY1", curp="curp0101")

    assert await stores.fact(signup, "actor.identity_shared_accounts") == 2


async def test_the_same_rfc_on_the_actors_own_earlier_events_is_not_another_account() -> None:
    stores = Stores()
    await stores.remember(event("account.created", at=T0 - DAY, actor=PAYEE, rfc="R1"))

    assert (
        await stores.fact(
            event("kyc.updated", actor=PAYEE, rfc="R1"), "actor.identity_shared_accounts"
        )
        == 0
    )


async def test_fundings_by_the_payee_as_payer_are_its_own_fund_count() -> None:
    stores = Stores()
    await stores.remember(
        event(
            "escrow.fund",
            at=T0 - HOUR,
            actor=PAYEE,
            payer_id=PAYEE,
            payee_id=OTHER,
            escrow="onward",
        )
    )

    assert await stores.fact(event("release"), "payee.fund_count[1d]") == 1
