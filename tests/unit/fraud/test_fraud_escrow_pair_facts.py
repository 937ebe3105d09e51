"""The escrow's own history and the payer-payee pair: funding, refunds, cycles, quick releases."""

from __future__ import annotations

from tests.unit.fraud.builders import (
    DAY,
    HOUR,
    MINUTE,
    OTHER,
    OTHER_CLABE,
    PAYEE,
    PAYEE_CLABE,
    PAYER,
    PAYER_CLABE,
    SECOND,
    T0,
    Stores,
    event,
    profile,
)


async def test_over_funding_is_the_deposits_including_this_one_minus_the_escrow_amount() -> None:
    stores = Stores()
    await stores.remember(
        event("escrow.create", at=T0 - DAY, amount=100_000),
        event("escrow.fund", at=T0 - HOUR, amount=60_000, source_clabe=PAYER_CLABE),
    )

    facts = await stores.facts(
        event("escrow.fund", amount=41_000, source_clabe=OTHER_CLABE),
        "escrow.amount_minor",
        "escrow.funded_minor",
        "escrow.overfunded_minor",
        "escrow.distinct_source_clabes",
        "escrow.seconds_since_funded",
    )

    assert facts == {
        "escrow.amount_minor": 100_000,
        "escrow.funded_minor": 101_000,
        "escrow.overfunded_minor": 1_000,
        "escrow.distinct_source_clabes": 2,
        "escrow.seconds_since_funded": 3_600,
    }


async def test_an_escrow_without_a_recorded_creation_has_no_over_funding() -> None:
    assert await Stores().fact(event("escrow.fund", amount=5), "escrow.overfunded_minor") is None


async def test_a_refund_may_only_go_to_a_clabe_that_funded_the_escrow() -> None:
    stores = Stores()
    await stores.remember(event("escrow.fund", at=T0 - DAY, amount=5, source_clabe=PAYER_CLABE))

    to_source = await stores.fact(
        event("refund", destination_clabe=PAYER_CLABE), "escrow.refund_to_unknown_clabe"
    )
    elsewhere = await stores.fact(
        event("refund", destination_clabe=OTHER_CLABE), "escrow.refund_to_unknown_clabe"
    )
    not_refund = await stores.fact(
        event("payout", destination_clabe=OTHER_CLABE), "escrow.refund_to_unknown_clabe"
    )

    assert (to_source, elsewhere, not_refund) == (False, True, None)


async def test_payer_and_payee_sharing_an_identity_are_caught_from_their_profiles() -> None:
    stores = Stores()
    await stores.profiles.save(
        profile(PAYER, rfc="XAXX010101000", email="a@x.mx", registered_clabes=(PAYER_CLABE,))
    )
    await stores.profiles.save(
        profile(PAYEE, rfc="xaxx-010101-000", email="b@x.mx", payout_clabe=PAYER_CLABE)
    )

    shared = await stores.fact(event("escrow.create"), "pair.shared_identifiers")

    assert shared == 2  # the RFC and a CLABE


async def test_paying_oneself_is_shared_identity_and_strangers_share_nothing() -> None:
    stores = Stores()
    await stores.with_parties()

    assert await stores.fact(event("escrow.create", payee_id=PAYER), "pair.shared_identifiers") == 1
    assert await stores.fact(event("escrow.create"), "pair.shared_identifiers") == 0


async def test_a_release_closing_a_two_party_cycle_within_tolerance_is_found() -> None:
    stores = Stores()
    await stores.remember(
        event(
            "release",
            at=T0 - 13 * DAY,
            amount=95_000,
            actor=PAYEE,
            payer_id=PAYEE,
            payee_id=PAYER,
            escrow="back",
        )
    )

    within = await stores.fact(event("release", amount=100_000), "pair.cycle_length[14d,500]")
    outside = await stores.fact(event("release", amount=100_001), "pair.cycle_length[14d,500]")

    assert (within, outside) == (2, 0)


async def test_a_release_closing_a_three_party_cycle_is_found() -> None:
    stores = Stores()
    await stores.remember(
        event(
            "release",
            at=T0 - 2 * DAY,
            amount=100_000,
            payer_id=PAYEE,
            payee_id=OTHER,
            escrow="b_to_c",
        ),
        event(
            "release", at=T0 - DAY, amount=104_000, payer_id=OTHER, payee_id=PAYER, escrow="c_to_a"
        ),
    )

    assert await stores.fact(event("release", amount=100_000), "pair.cycle_length[14d,500]") == 3


async def test_an_old_leg_breaks_the_cycle() -> None:
    stores = Stores()
    await stores.remember(
        event(
            "release",
            at=T0 - 14 * DAY - SECOND,
            amount=100_000,
            payer_id=PAYEE,
            payee_id=PAYER,
            escrow="back",
        )
    )

    assert await stores.fact(event("release", amount=100_000), "pair.cycle_length[14d,500]") == 0


async def test_quick_releases_between_a_pair_count_releases_soon_after_the_first_deposit() -> None:
    stores = Stores()
    scene = []
    for index, delay in enumerate((59 * MINUTE, HOUR, 10 * MINUTE)):
        escrow = f"e{index}"
        start = T0 - DAY + index * HOUR
        scene += [
            event("escrow.fund", at=start, escrow=escrow, amount=1),
            event("release", at=start + delay, escrow=escrow),
        ]
    scene.append(event("dispute.opened", at=T0 - 2 * HOUR, escrow="e9"))
    await stores.remember(*scene)
    await stores.remember(event("escrow.fund", at=T0 - MINUTE, escrow="now", amount=1))

    facts = await stores.facts(
        event("release", escrow="now"), "pair.quick_releases[30d,1h]", "pair.disputes[30d]"
    )

    assert facts == {"pair.quick_releases[30d,1h]": 3, "pair.disputes[30d]": 1}


async def test_money_released_quickly_to_a_payer_who_now_funds_again_is_pass_through() -> None:
    stores = Stores()
    await stores.remember(
        event(
            "escrow.fund",
            at=T0 - 3 * HOUR,
            actor=OTHER,
            payer_id=OTHER,
            payee_id=PAYER,
            escrow="inbound",
            amount=1,
        ),
        event(
            "release",
            at=T0 - 3 * HOUR + 29 * MINUTE,
            actor=OTHER,
            payer_id=OTHER,
            payee_id=PAYER,
            escrow="inbound",
        ),
    )

    passed = await stores.fact(
        event("escrow.fund", escrow="onward", amount=1), "payer.quick_releases_received[1d,30m]"
    )

    assert passed == 1


async def test_the_source_clabe_is_registered_when_the_payer_proved_it() -> None:
    stores = Stores()
    await stores.with_parties()

    own = await stores.fact(
        event("escrow.fund", source_clabe=PAYER_CLABE), "event.source_clabe_registered"
    )
    third = await stores.fact(
        event("escrow.fund", source_clabe=PAYEE_CLABE), "event.source_clabe_registered"
    )

    assert (own, third) == (True, False)
