"""Shared devices, IPs, payout CLABEs and evidence files, counted as of the event."""

from __future__ import annotations

from tests.unit.fraud.builders import (
    DAY,
    HOUR,
    OTHER,
    OTHER_CLABE,
    PAYEE,
    PAYER,
    SECOND,
    T0,
    Stores,
    event,
)


async def test_sign_ups_from_one_device_count_distinct_accounts_in_the_window() -> None:
    stores = Stores()
    await stores.remember(
        event("account.created", at=T0 - 30 * DAY, actor="u1", device="fp-1"),
        event("account.created", at=T0 - 30 * DAY - SECOND, actor="u2", device="fp-1"),
        event("account.created", at=T0 - HOUR, actor="u3", device="fp-1"),
        event("kyc.updated", at=T0 - HOUR, actor="u4", device="fp-1"),
    )

    count = await stores.fact(
        event("account.created", actor="u5", device="fp-1"), "device.accounts[30d]"
    )

    assert count == 3


async def test_sign_ups_from_one_ip_in_a_day() -> None:
    stores = Stores()
    await stores.remember(
        *(
            event("account.created", at=T0 - i * HOUR, actor=f"u{i}", ip="10.0.0.1")
            for i in range(1, 6)
        )
    )

    assert (
        await stores.fact(event("account.created", actor="new", ip="10.0.0.1"), "ip.accounts[1d]")
        == 6
    )


async def test_a_payout_clabe_shared_by_several_payees_counts_each_user_once() -> None:
    stores = Stores()
    await stores.remember(
        event("payout_account.changed", at=T0 - 10 * DAY, actor="u1", payout_clabe=OTHER_CLABE),
        event("payout", at=T0 - DAY, actor=None, payee_id="u2", destination_clabe=OTHER_CLABE),
        event("payout", at=T0 - DAY, actor=None, payee_id="u2", destination_clabe=OTHER_CLABE),
        event("payout_account.changed", at=T0 - 91 * DAY, actor="u9", payout_clabe=OTHER_CLABE),
    )

    count = await stores.fact(
        event("payout_account.changed", actor="u3", payout_clabe=OTHER_CLABE),
        "clabe.distinct_users[90d]",
    )

    assert count == 3


async def test_returned_payouts_to_a_clabe_include_the_current_return() -> None:
    stores = Stores()
    await stores.remember(
        event("payout.returned", at=T0 - 29 * DAY, actor=None, destination_clabe=OTHER_CLABE)
    )

    returns = await stores.fact(
        event("payout.returned", actor=None, destination_clabe=OTHER_CLABE), "clabe.returns[30d]"
    )

    assert returns == 2


async def test_evidence_reused_from_another_escrows_dispute_is_counted() -> None:
    stores = Stores()
    await stores.remember(
        event("dispute.evidence_uploaded", at=T0 - DAY, escrow="esc_a", evidence_sha256="AB12"),
        event("dispute.evidence_uploaded", at=T0 - HOUR, escrow="esc_b", evidence_sha256="ab12"),
        event("dispute.evidence_uploaded", at=T0 - HOUR, escrow="esc_1", evidence_sha256="ab12"),
    )

    reused = await stores.fact(
        event("dispute.evidence_uploaded", evidence_sha256="ab12"), "evidence.other_escrows"
    )

    assert reused == 2


async def test_a_device_is_new_to_an_actor_who_used_others_before() -> None:
    stores = Stores()
    await stores.remember(
        event("escrow.create", at=T0 - 40 * DAY, device="old-phone"),
        event("escrow.create", at=T0 - 5 * HOUR, device="new-phone"),
    )

    facts = await stores.facts(
        event("release", device="new-phone"), "actor.device_age_seconds", "actor.other_devices"
    )
    never_seen = await stores.fact(event("release", device="laptop"), "actor.device_age_seconds")

    assert facts == {"actor.device_age_seconds": 5 * 3_600, "actor.other_devices": 1}
    assert never_seen == 0


async def test_device_facts_do_not_apply_without_a_device_or_an_actor() -> None:
    stores = Stores()

    assert (
        await stores.fact(event("release", actor=None, device="x"), "actor.device_age_seconds")
        is None
    )
    assert await stores.fact(event("release"), "actor.device_age_seconds") is None


async def test_a_device_the_actor_shares_with_the_other_party_is_counted_per_window() -> None:
    stores = Stores()
    await stores.remember(
        event("escrow.create", at=T0 - 100 * DAY, actor=PAYEE, device="shared-old"),
        event("escrow.create", at=T0 - 101 * DAY, actor=PAYER, device="shared-old"),
        event("escrow.create", at=T0 - DAY, actor=PAYEE, device="shared-new", ip="1.1.1.1"),
        event("escrow.create", at=T0 - 2 * DAY, actor=OTHER, device="elsewhere"),
    )
    create = event("escrow.create", device="shared-new", ip="1.1.1.1")

    facts = await stores.facts(
        create, "pair.shared_devices[30d]", "pair.shared_devices[365d]", "pair.shared_ips[30d]"
    )

    assert facts == {
        "pair.shared_devices[30d]": 1,
        "pair.shared_devices[365d]": 2,
        "pair.shared_ips[30d]": 1,
    }
