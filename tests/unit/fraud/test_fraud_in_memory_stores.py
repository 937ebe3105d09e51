"""The in-memory fraud stores keep their promises: point in time, copies, ordering."""

from __future__ import annotations

from datetime import datetime

import pytest

from kustodia_adapters.in_memory.fraud import (
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_domain.fraud.history import history_keys
from kustodia_domain.fraud.lists import ListKind, ListName, identifier
from kustodia_domain.fraud.screening import Outcome, RiskDecision
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.ports.risk_history import RiskHistory
from kustodia_domain.ports.risk_lists import RiskLists
from kustodia_domain.shared.errors import NotFoundError, ValidationError
from tests.unit.fraud.builders import DAY, HOUR, PAYEE, PAYER, T0, event, list_entry, profile


def allow(event_id: str) -> RiskDecision:
    return RiskDecision(event_id=event_id, outcome=Outcome.ALLOW, facts={"event.kind": "x"})


def test_the_in_memory_stores_implement_the_ports_explicitly() -> None:
    assert RiskHistory in InMemoryRiskHistory.__mro__
    assert PartyProfiles in InMemoryPartyProfiles.__mro__
    assert RiskLists in InMemoryRiskLists.__mro__


def test_an_event_is_indexed_by_parties_escrow_pair_and_identifiers() -> None:
    item = event(
        "payout",
        actor="admin",
        device="d1",
        ip="1.2.3.4",
        rfc=" abc-123 ",
        destination_clabe="0021",
        evidence_sha256="AB",
    )

    assert history_keys(item) == {
        ("actor", "admin"), ("payer", PAYER), ("payee", PAYEE), ("escrow", "esc_1"),
        ("pair", f"{PAYER}>{PAYEE}"), ("device", "d1"), ("ip", "1.2.3.4"), ("rfc", "ABC123"),
        ("clabe", "0021"), ("evidence", "ab"),
    }  # fmt: skip


async def test_history_windows_are_sorted_even_when_events_arrive_out_of_order() -> None:
    history = InMemoryRiskHistory()
    late, early = event("escrow.fund", at=T0 - HOUR), event("escrow.fund", at=T0 - DAY)
    for item in (late, early):
        await history.append(item, allow(item.event_id))

    found = await history.events(("payer", PAYER), until=T0)
    replayed = await history.events(("payer", PAYER), until=T0, recorded_before=1)

    assert [e.event_id for e in found] == [early.event_id, late.event_id]
    assert [e.event_id for e in replayed] == [late.event_id]


async def test_a_query_over_several_kinds_merges_them_by_time() -> None:
    history = InMemoryRiskHistory()
    items = [
        event("escrow.create", at=T0 - 3 * HOUR),
        event("release", at=T0 - 2 * HOUR),
        event("escrow.fund", at=T0 - HOUR),
    ]
    for item in items:
        await history.append(item, allow(item.event_id))

    found = await history.events(
        ("payer", PAYER), until=T0, kinds=frozenset({"release", "escrow.create", "escrow.fund"})
    )
    everything = await history.events(("payer", PAYER), until=T0)

    assert (
        [e.kind for e in found]
        == [e.kind for e in everything]
        == ["escrow.create", "release", "escrow.fund"]
    )


async def test_changing_a_screened_event_or_decision_afterwards_does_not_reach_the_history() -> (
    None
):
    history = InMemoryRiskHistory()
    attributes = {"payer_id": PAYER}
    item = event("escrow.fund", payer_id=PAYER)
    item = type(item)(
        event_id="e1", kind="escrow.fund", occurred_at=T0, actor_id=PAYER, attributes=attributes
    )
    decision = allow("e1")
    await history.append(item, decision)
    attributes["payer_id"] = "someone_else"
    decision.facts["event.kind"] = "tampered"  # type: ignore[index]

    stored = await history.entry("e1")

    assert stored is not None
    assert stored.event.attributes == {"payer_id": PAYER}
    assert stored.decision.facts == {"event.kind": "x"}


async def test_profiles_are_read_as_of_a_moment() -> None:
    profiles = InMemoryPartyProfiles()
    await profiles.save(profile(PAYER, created=T0 - DAY, kyc_level=1))
    await profiles.save(profile(PAYER, created=T0 - DAY, valid_from=T0, kyc_level=2))

    before = await profiles.profile_as_of(PAYER, T0 - DAY - HOUR)
    first = await profiles.profile_as_of(PAYER, T0 - HOUR)
    second = await profiles.profile_as_of(PAYER, T0)

    assert before is None
    assert (first and first.kyc_level, second and second.kyc_level) == (1, 2)


async def test_removing_an_unknown_list_entry_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        await InMemoryRiskLists().remove("nope", at=T0, by="admin")


async def test_list_lookups_match_normalised_identifiers_across_lists() -> None:
    lists = InMemoryRiskLists()
    await lists.add(list_entry("A@B.MX", entry_id="1"))
    await lists.add(list_entry("a@b.mx", entry_id="2", list_name=ListName.WATCHLIST))

    found = await lists.active_matches({identifier(ListKind.EMAIL, " a@b.mx ")}, T0)

    assert [e.entry_id for e in found] == ["1", "2"]


def test_a_list_entry_must_hold_a_normalised_value() -> None:
    entry = list_entry("A@B.MX")

    with pytest.raises(ValidationError):
        type(entry)(
            **{
                **{
                    f: getattr(entry, f)
                    for f in (
                        "entry_id",
                        "list_name",
                        "kind",
                        "reason",
                        "source",
                        "added_by",
                        "added_at",
                    )
                },
                "value": "A@B.MX",
            }
        )


def test_profiles_and_list_entries_refuse_naive_timestamps() -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001

    with pytest.raises(ValidationError):
        profile(PAYER, created=naive)
    with pytest.raises(ValidationError):
        list_entry("a@b.mx", added_at=T0, expires_at=naive)
