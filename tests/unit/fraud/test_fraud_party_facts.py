"""Party facts come from the profile version in force at the event's time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.fraud.settings import Settings, UdiValue
from tests.unit.fraud.builders import DAY, HOUR, PAYEE, PAYER, SECOND, T0, Stores, event, profile


async def test_a_profile_change_after_the_event_is_not_visible_to_it() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYEE, kyc_status=KycStatus.PENDING, kyc_level=1))
    await stores.profiles.save(profile(PAYEE, valid_from=T0 + SECOND, kyc_level=2))

    facts = await stores.facts(event("release"), "payee.kyc_status", "payee.kyc_level")
    later = await stores.facts(event("release", at=T0 + SECOND), "payee.kyc_level")

    assert facts == {"payee.kyc_status": "pending", "payee.kyc_level": 1}
    assert later == {"payee.kyc_level": 2}


async def test_a_party_without_a_profile_counts_as_a_brand_new_unverified_n1_user() -> None:
    facts = await Stores().facts(
        event("escrow.fund"), "payer.kyc_status", "payer.kyc_level", "payer.account_age_seconds"
    )

    assert facts == {
        "payer.kyc_status": "none",
        "payer.kyc_level": 1,
        "payer.account_age_seconds": 0,
    }


async def test_facts_of_a_role_the_event_does_not_have_are_missing() -> None:
    item = event("account.created", payer_id="", payee_id="")

    assert await Stores().fact(item, "payee.kyc_status") is None


async def test_account_age_and_payout_clabe_age_are_measured_to_the_second() -> None:
    stores = Stores()
    await stores.profiles.save(
        profile(
            PAYER,
            created=T0 - 7 * DAY + SECOND,
            payout_clabe="x",
            payout_clabe_changed_at=T0 - 72 * HOUR,
        )
    )

    facts = await stores.facts(
        event("release", payee_id=PAYER),
        "payer.account_age_seconds",
        "payee.payout_clabe_age_seconds",
    )

    assert facts == {
        "payer.account_age_seconds": 7 * 86_400 - 1,
        "payee.payout_clabe_age_seconds": 72 * 3_600,
    }


async def test_lost_disputes_count_only_those_decided_before_the_event_and_in_the_window() -> None:
    stores = Stores()
    lost = (T0 - 91 * DAY, T0 - 90 * DAY, T0 - SECOND, T0, T0 + DAY)
    await stores.profiles.save(profile(PAYEE, disputes_lost_at=lost))

    facts = await stores.facts(event("release"), "payee.lost_disputes", "payee.disputes_lost[90d]")

    assert facts == {"payee.lost_disputes": 3, "payee.disputes_lost[90d]": 2}


async def test_the_level_cap_uses_the_udi_value_of_the_local_date_in_mexico_city() -> None:
    settings = Settings(
        udi=(
            UdiValue(valid_from=date(2026, 3, 1), micro_mxn=8_000_000),
            UdiValue(valid_from=date(2026, 4, 1), micro_mxn=9_000_000),
        )
    )
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_level=1))
    # 23:30 on 31 March in Mexico City is already 1 April in UTC.
    last_march = event("escrow.fund", at=datetime(2026, 4, 1, 5, 30, tzinfo=UTC))
    first_april = event("escrow.fund", at=datetime(2026, 4, 1, 6, 0, tzinfo=UTC))

    march = await stores.fact(last_march, "payer.kyc_cap_minor", settings)
    april = await stores.fact(first_april, "payer.kyc_cap_minor", settings)

    assert (march, april) == (750 * 800, 750 * 900)


async def test_an_n4_party_has_no_monthly_cap() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_level=4))

    assert await stores.fact(event("escrow.fund"), "payer.kyc_cap_minor") is None


async def test_the_n1_cap_is_750_udis_in_centavos() -> None:
    assert await Stores().fact(event("payout"), "limits.n1_cap_minor") == 652_500
