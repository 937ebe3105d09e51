"""Lists are checked as of the event, by every identifier of the event and its parties."""

from __future__ import annotations

from kustodia_domain.fraud.lists import ListKind, ListName
from tests.unit.fraud.builders import (
    DAY,
    OTHER_CLABE,
    PAYEE,
    PAYER,
    SECOND,
    T0,
    Stores,
    event,
    list_entry,
    profile,
)


async def test_an_identifier_on_the_event_matches_the_blocklist_whatever_its_spelling() -> None:
    stores = Stores()
    await stores.lists.add(list_entry("Mule@Example.com", entry_id="bl_1"))

    facts = await stores.facts(
        event("escrow.create", email=" mule@example.COM"),
        "event.blocklist_hits",
        "event.blocklist_match",
    )

    assert facts == {
        "event.blocklist_hits": 1,
        "event.blocklist_match": "email on blocklist (bl_1: test)",
    }


async def test_a_partys_profile_identifiers_are_checked_too() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYEE, phone="+52 55 1234 5678"))
    await stores.lists.add(list_entry("5512345678", kind=ListKind.PHONE))
    await stores.lists.add(list_entry(PAYER, kind=ListKind.USER, list_name=ListName.WATCHLIST))

    facts = await stores.facts(event("release"), "event.blocklist_hits", "event.watchlist_hits")

    assert facts == {"event.blocklist_hits": 1, "event.watchlist_hits": 1}


async def test_expired_removed_and_future_entries_do_not_match() -> None:
    stores = Stores()
    await stores.lists.add(list_entry(OTHER_CLABE, kind=ListKind.CLABE, expires_at=T0))
    await stores.lists.add(
        list_entry(OTHER_CLABE, kind=ListKind.CLABE, entry_id="later", added_at=T0 + SECOND)
    )
    await stores.lists.add(list_entry(OTHER_CLABE, kind=ListKind.CLABE, entry_id="gone"))
    await stores.lists.remove("gone", at=T0, by="admin_2")
    payout = event("payout", destination_clabe=OTHER_CLABE)

    assert await stores.fact(payout, "event.blocklist_hits") == 0
    assert (
        await stores.fact(
            event("payout", at=T0 - SECOND, destination_clabe=OTHER_CLABE), "event.blocklist_hits"
        )
        == 2
    )


async def test_a_uif_listed_rfc_or_a_close_name_is_a_hit() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYER, rfc="LOSA800101AB1", kyc_name="Ana María López Soto"))
    await stores.lists.add(
        list_entry("LOSA800101AB1", kind=ListKind.RFC, list_name=ListName.UIF_BLOCKED)
    )
    await stores.lists.add(
        list_entry("LOPEZ SOTO ANA MARIA", kind=ListKind.NAME, list_name=ListName.UIF_BLOCKED)
    )

    facts = await stores.facts(
        event("escrow.fund"), "parties.uif_id_hit", "parties.uif_name_similarity_permille"
    )

    assert facts == {"parties.uif_id_hit": True, "parties.uif_name_similarity_permille": 1000}


async def test_a_name_sharing_only_a_surname_with_a_listed_name_is_far_from_it() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYER, kyc_name="Ana Lopez"))
    await stores.lists.add(
        list_entry("Joaquin Lopez Guzman", kind=ListKind.NAME, list_name=ListName.UIF_BLOCKED)
    )

    similarity = await stores.fact(event("escrow.fund"), "parties.uif_name_similarity_permille")

    assert 0 < similarity < 920  # type: ignore[operator]


async def test_sat_69b_status_is_read_from_the_payees_rfc() -> None:
    stores = Stores()
    await stores.profiles.save(profile(PAYEE, rfc="EFOS010101AAA"))
    await stores.profiles.save(profile(PAYER, rfc="GOOD010101AAA"))
    await stores.lists.add(
        list_entry("EFOS010101AAA", kind=ListKind.RFC, list_name=ListName.SAT_69B_PRESUMED)
    )
    await stores.lists.add(
        list_entry("GOOD010101AAA", kind=ListKind.RFC, list_name=ListName.SAT_69B_DEFINITIVE)
    )

    facts = await stores.facts(event("escrow.create"), "payee.sat69b_status", "payer.sat69b_status")

    assert facts == {"payee.sat69b_status": "presumed", "payer.sat69b_status": "definitive"}


async def test_a_pep_party_is_a_pep_hit() -> None:
    stores = Stores()
    await stores.lists.add(
        list_entry("PEPX010101", kind=ListKind.CURP, list_name=ListName.PEP, added_at=T0 - 3 * DAY)
    )

    assert await stores.fact(event("kyc.updated", curp="pepx010101"), "parties.pep_hit") is True
