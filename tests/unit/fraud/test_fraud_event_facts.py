"""Facts read from the event itself: amounts, local time, roles, CLABEs, names, overrides."""

from __future__ import annotations

from datetime import UTC, datetime

from kustodia_domain.fraud.screening import RiskEvent
from kustodia_domain.shared.money import MXNB, Money
from tests.unit.fraud.builders import (
    OTHER,
    PAYEE,
    PAYER,
    PAYER_CLABE,
    T0,
    Stores,
    event,
    profile,
)


async def test_amounts_are_mxn_centavos_and_mxnb_counts_one_to_one() -> None:
    mxnb = RiskEvent(
        event_id="e",
        kind="escrow.fund",
        occurred_at=T0,
        actor_id=PAYER,
        amount=Money(1_234_567_891, MXNB),
        attributes={},
    )

    assert await Stores().fact(mxnb, "event.amount_minor") == 123_456
    assert await Stores().fact(event("refund"), "event.amount_minor") is None


async def test_the_local_hour_is_mexico_city_time() -> None:
    four_am = event("release", at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))

    assert await Stores().fact(four_am, "event.local_hour") == 4


async def test_the_actor_role_tells_payer_payee_scheduler_and_others_apart() -> None:
    stores = Stores()
    roles = [
        await stores.fact(event("release", actor=actor), "event.actor_role")
        for actor in (PAYER, PAYEE, None, OTHER)
    ]

    assert roles == ["payer", "payee", "scheduler", "other"]


async def test_malformed_clabes_are_counted_and_a_valid_one_is_not() -> None:
    bad_check = PAYER_CLABE[:-1] + str((int(PAYER_CLABE[-1]) + 1) % 10)
    item = event(
        "refund",
        destination_clabe=bad_check,
        source_clabe="12345",
        payout_clabe="999" + PAYER_CLABE[3:],
    )
    good = event("refund", destination_clabe=PAYER_CLABE)

    assert await Stores().fact(item, "event.invalid_clabe_count") == 3
    assert await Stores().fact(good, "event.invalid_clabe_count") == 0
    assert await Stores().fact(good, "event.destination_bank") == "002"


async def test_the_sender_name_is_compared_with_the_payers_kyc_name() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_name="Ana María López Soto"))

    same = await stores.fact(
        event("escrow.fund", sender_name="LOPEZ SOTO ANA MARIA"),
        "event.sender_name_similarity_permille",
    )
    other = await stores.fact(
        event("escrow.fund", sender_name="Comercializadora Norte SA"),
        "event.sender_name_similarity_permille",
    )
    missing = await stores.fact(event("escrow.fund"), "event.sender_name_similarity_permille")

    assert same == 1000
    assert other < 850  # type: ignore[operator]
    assert missing is None


async def test_override_facts_read_the_justification_and_the_second_approver() -> None:
    item = event(
        "override.requested",
        actor="admin_1",
        override_of_outcome="HOLD",
        justification="   customer proved delivery   ",
        approver_id="admin_1",
    )

    facts = await Stores().facts(
        item, "override.of_outcome", "override.justification_length", "override.second_approver_ok"
    )

    assert facts == {
        "override.of_outcome": "hold",
        "override.justification_length": 24,
        "override.second_approver_ok": False,
    }
