"""Contracts of the fraud engine's stores: history, party profiles, lists, alerts, overrides.

Each suite is abstract; the in-memory adapters run it here, the SQL adapters in
``test_sql_fraud_stores.py``. Sequences are only compared with each other: a store numbers
entries in recording order, and a database that was emptied does not start again from 0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta, timezone

import attrs
import pytest

from kustodia_adapters.in_memory.fraud import (
    InMemoryAlertRepository,
    InMemoryOverrideRepository,
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_domain.fraud.alerts import AlertState
from kustodia_domain.fraud.history import HistoryEntry, pair_value
from kustodia_domain.fraud.lists import ListKind, ListName, identifier
from kustodia_domain.fraud.overrides import OverrideState
from kustodia_domain.fraud.profiles import KycStatus
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.ports.risk_history import AlertRepository, OverrideRepository, RiskHistory
from kustodia_domain.ports.risk_lists import RiskLists
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.money import Money
from tests.contract.fraud_builders import (
    DAY,
    HOUR,
    PAYEE,
    PAYER,
    T0,
    alert,
    allow,
    event,
    held,
    list_entry,
    override,
    profile,
)

MEXICO_CITY = timezone(timedelta(hours=-6))
FUNDS = frozenset({"escrow.fund"})


class RiskHistoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    def history(self) -> RiskHistory: ...

    async def test_windows_are_in_time_order_even_when_events_arrive_out_of_order(
        self, history: RiskHistory
    ) -> None:
        late, early = event("late", at=T0 - HOUR), event("early", at=T0 - DAY)
        first = await history.append(late, allow("late"))
        second = await history.append(early, allow("early"))

        found = await history.events(("payer", PAYER), until=T0)
        replayed = await history.events(("payer", PAYER), until=T0, recorded_before=second.sequence)

        assert first.sequence < second.sequence
        assert [e.event_id for e in found] == ["early", "late"]
        assert [e.event_id for e in replayed] == ["late"]

    async def test_windows_include_since_exclude_until_and_filter_kinds(
        self, history: RiskHistory
    ) -> None:
        items = [
            event("create", "escrow.create", at=T0 - 3 * HOUR),
            event("release", "release", at=T0 - 2 * HOUR),
            event("fund", "escrow.fund", at=T0 - HOUR),
            event("now", "escrow.fund", at=T0),
        ]
        for item in items:
            await history.append(item, allow(item.event_id))
        payer = ("payer", PAYER)

        mixed = await history.events(payer, until=T0, kinds=frozenset({"release", "escrow.create"}))
        everything = await history.events(payer, until=T0)
        since = await history.events(payer, until=T0 + HOUR, since=T0 - 2 * HOUR, kinds=FUNDS)

        assert [e.event_id for e in mixed] == ["create", "release"]
        assert [e.event_id for e in everything] == ["create", "release", "fund"]
        assert [e.event_id for e in since] == ["fund", "now"]
        assert not await history.events(payer, until=T0, kinds=frozenset())

    async def test_events_at_the_same_moment_keep_their_recording_order(
        self, history: RiskHistory
    ) -> None:
        for event_id in ("b", "a", "c"):
            await history.append(event(event_id), allow(event_id))

        found = await history.events(("escrow", "esc_1"), until=T0 + HOUR, kinds=FUNDS)

        assert [e.event_id for e in found] == ["b", "a", "c"]

    async def test_an_event_is_found_under_every_key_it_is_indexed_by(
        self, history: RiskHistory
    ) -> None:
        item = event(
            "payout",
            "payout",
            actor="admin",
            device="d1",
            rfc=" abc-123 ",
            destination_clabe="002180000000000001",
            evidence_sha256="AB",
        )
        await history.append(item, allow("payout"))
        keys = [
            ("actor", "admin"),
            ("payer", PAYER),
            ("payee", PAYEE),
            ("escrow", "esc_1"),
            ("pair", pair_value(PAYER, PAYEE)),
            ("device", "d1"),
            ("rfc", "ABC123"),
            ("clabe", "002180000000000001"),
            ("evidence", "ab"),
        ]

        for key in keys:
            assert [e.event_id for e in await history.events(key, until=T0 + HOUR)] == ["payout"]
        assert not await history.events(("payer", PAYEE), until=T0 + HOUR)

    async def test_an_entry_keeps_the_event_and_every_part_of_its_decisions(
        self, history: RiskHistory
    ) -> None:
        item = event(
            "e1",
            at=T0.astimezone(MEXICO_CITY),
            amount=Money.mxn(150_000),
            ip="10.0.0.1",
            third_party=True,
            attempts=2,
            note=None,
        )
        decision, shadow = held("e1"), (allow("e1"), held("e1", ruleset="candidate-sha"))

        appended = await history.append(item, decision, shadow)
        stored = await history.entry("e1")

        assert stored == HistoryEntry(
            event=item, decision=decision, shadow=shadow, sequence=appended.sequence
        )
        assert stored.event.occurred_at.utcoffset() == timedelta(0)
        assert await history.entry("never-screened") is None

    async def test_changing_the_callers_objects_afterwards_does_not_reach_the_history(
        self, history: RiskHistory
    ) -> None:
        attributes: dict[str, str | int | bool | None] = {"payer_id": PAYER}
        item = attrs.evolve(event("e1"), attributes=attributes)
        decision = allow("e1")
        await history.append(item, decision)
        attributes["payer_id"] = "someone_else"
        decision.facts["event.kind"] = "tampered"  # type: ignore[index]

        stored = await history.entry("e1")

        assert stored is not None
        assert stored.event.attributes == {"payer_id": PAYER}
        assert stored.decision.facts == {"event.kind": "x"}

    async def test_entries_come_in_recording_order(self, history: RiskHistory) -> None:
        for n, at in enumerate((T0, T0 - DAY, T0 - HOUR)):
            await history.append(event(f"e{n}", at=at), allow(f"e{n}"))

        entries = await history.entries()

        assert [e.event.event_id for e in entries] == ["e0", "e1", "e2"]
        assert [e.sequence for e in entries] == sorted({e.sequence for e in entries})

    async def test_values_used_are_each_actors_devices_with_first_and_last_use(
        self, history: RiskHistory
    ) -> None:
        uses = [("d1", T0 - 3 * DAY), ("d2", T0 - 2 * DAY), ("d1", T0 - DAY), ("d3", T0)]
        recorded = []
        for n, (device, at) in enumerate(uses):
            entry = await history.append(event(f"e{n}", at=at, device=device), allow(f"e{n}"))
            recorded.append(entry.sequence)
        await history.append(event("other", actor="u_other", device="d9"), allow("other"))
        actor = ("actor", PAYER)

        used = await history.values_used(actor, "device", until=T0)
        recent = await history.values_used(actor, "device", until=T0, since=T0 - DAY)
        replayed = await history.values_used(actor, "device", until=T0, recorded_before=recorded[2])

        assert used == {"d1": (T0 - 3 * DAY, T0 - DAY), "d2": (T0 - 2 * DAY, T0 - 2 * DAY)}
        assert recent == {"d1": (T0 - DAY, T0 - DAY)}
        assert replayed == {"d1": (T0 - 3 * DAY, T0 - 3 * DAY), "d2": (T0 - 2 * DAY, T0 - 2 * DAY)}
        assert await history.values_used(actor, "ip", until=T0) == {}


class PartyProfilesContract(ABC):
    @pytest.fixture
    @abstractmethod
    def profiles(self) -> PartyProfiles: ...

    async def test_profiles_are_read_as_of_a_moment(self, profiles: PartyProfiles) -> None:
        await profiles.save(profile(PAYER, valid_from=T0 - DAY, kyc_level=1))
        await profiles.save(profile(PAYER, valid_from=T0, kyc_level=2))
        await profiles.save(profile(PAYEE, valid_from=T0 - 2 * DAY, kyc_level=4))

        before = await profiles.profile_as_of(PAYER, T0 - DAY - HOUR)
        first = await profiles.profile_as_of(PAYER, T0 - HOUR)
        second = await profiles.profile_as_of(PAYER, T0.astimezone(MEXICO_CITY))

        assert before is None
        assert (first and first.kyc_level, second and second.kyc_level) == (1, 2)
        assert await profiles.profile_as_of("u_unknown", T0) is None

    async def test_every_field_of_a_version_is_kept(self, profiles: PartyProfiles) -> None:
        saved = profile(
            PAYER,
            kyc_status=KycStatus.PENDING,
            kyc_level=2,
            kyc_name="Ana Maria Lopez Soto",
            rfc="LOSA800101AB1",
            curp="LOSA800101MDFPTN09",
            email="ana@example.mx",
            phone="5512345678",
            is_business=True,
            payout_clabe="002180000000000001",
            payout_clabe_changed_at=T0 - 10 * DAY,
            registered_clabes=("002180000000000001", "012180000000000002"),
            disputes_lost_at=(T0 - 30 * DAY, T0 - 20 * DAY),
        )
        await profiles.save(saved)

        assert await profiles.profile_as_of(PAYER, T0) == saved

    async def test_a_version_saved_again_for_the_same_moment_wins(
        self, profiles: PartyProfiles
    ) -> None:
        await profiles.save(profile(PAYER, kyc_level=1))
        await profiles.save(profile(PAYER, kyc_level=3))

        found = await profiles.profile_as_of(PAYER, T0)

        assert found is not None
        assert found.kyc_level == 3


class RiskListsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def lists(self) -> RiskLists: ...

    async def test_removing_an_unknown_entry_is_not_found(self, lists: RiskLists) -> None:
        with pytest.raises(NotFoundError):
            await lists.remove("nope", at=T0, by="admin")

    async def test_lookups_match_normalised_identifiers_across_lists(
        self, lists: RiskLists
    ) -> None:
        await lists.add(list_entry("2", "a@b.mx", list_name=ListName.WATCHLIST))
        await lists.add(list_entry("1", "A@B.MX"))
        await lists.add(list_entry("3", "c@b.mx"))
        await lists.add(list_entry("4", "LOSA800101AB1", kind=ListKind.RFC))

        found = await lists.active_matches(
            {identifier(ListKind.EMAIL, " a@b.mx "), identifier(ListKind.RFC, "losa-800101-ab1")},
            T0,
        )

        assert [e.entry_id for e in found] == ["1", "2", "4"]
        assert not await lists.active_matches(set(), T0)

    async def test_an_entry_applies_from_its_addition_until_it_expires_or_is_removed(
        self, lists: RiskLists
    ) -> None:
        await lists.add(list_entry("expiring", "a@b.mx", expires_at=T0 + DAY))
        await lists.add(list_entry("removed", "a@b.mx"))
        await lists.remove("removed", at=T0 + HOUR, by="admin_2")
        email = {identifier(ListKind.EMAIL, "a@b.mx")}

        def ids(entries: tuple[object, ...]) -> list[str]:
            return [getattr(e, "entry_id", "") for e in entries]

        assert ids(await lists.active_matches(email, T0 - 2 * DAY)) == []
        assert ids(await lists.active_matches(email, T0)) == ["expiring", "removed"]
        assert ids(await lists.active_matches(email, T0 + HOUR)) == ["expiring"]
        assert ids(await lists.active_matches(email, T0 + DAY)) == []
        removed = await lists.entry("removed")
        assert removed is not None
        assert (removed.removed_at, removed.removed_by) == (T0 + HOUR, "admin_2")
        assert await lists.entry("nope") is None

    async def test_names_are_found_by_any_shared_token_while_active(self, lists: RiskLists) -> None:
        await lists.add(list_entry("1", "Juan Perez Lopez", kind=ListKind.NAME))
        await lists.add(list_entry("2", "Maria Lopez", kind=ListKind.NAME, expires_at=T0))
        await lists.add(list_entry("3", "Pedro Ramirez", kind=ListKind.NAME))
        await lists.add(list_entry("4", "lopez@b.mx"))

        found = await lists.names_sharing_tokens({"lopez", "nadie"}, T0 - HOUR)
        later = await lists.names_sharing_tokens(["lopez"], T0)

        assert [e.entry_id for e in found] == ["1", "2"]
        assert [e.entry_id for e in later] == ["1"]
        assert not await lists.names_sharing_tokens([], T0)

    async def test_a_list_holds_its_active_entries_oldest_first(self, lists: RiskLists) -> None:
        await lists.add(list_entry("b", "b@b.mx", added_at=T0 - DAY))
        await lists.add(list_entry("a", "a@b.mx", added_at=T0 - DAY))
        await lists.add(list_entry("old", "o@b.mx", added_at=T0 - 2 * DAY))
        await lists.add(list_entry("gone", "g@b.mx", expires_at=T0))
        await lists.add(list_entry("w", "w@b.mx", list_name=ListName.WATCHLIST))

        listed = await lists.listed(ListName.BLOCKLIST, T0)

        assert [e.entry_id for e in listed] == ["old", "a", "b"]

    async def test_every_field_of_an_entry_is_kept(self, lists: RiskLists) -> None:
        entry = list_entry(
            "1", "Juan Perez", kind=ListKind.NAME, list_name=ListName.PEP, expires_at=T0 + DAY
        ).removed(at=T0, by="admin_2")
        await lists.add(entry)

        assert await lists.entry("1") == entry


class AlertRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    def alerts(self) -> AlertRepository: ...

    async def test_an_alert_is_saved_whole_and_replaced_by_its_next_save(
        self, alerts: AlertRepository
    ) -> None:
        raised = alert("al_1", "evt_1")
        raised.pull_events()
        await alerts.save(raised)
        assert await alerts.get("al_1") == raised

        raised.confirm_fraud(by="analyst_1", at=T0 + HOUR, note="mule")
        raised.pull_events()
        await alerts.save(raised)

        assert await alerts.get("al_1") == raised
        assert await alerts.get("al_2") is None

    async def test_the_queue_is_oldest_first_by_state_and_alerts_are_found_by_event(
        self, alerts: AlertRepository
    ) -> None:
        cleared = alert("al_c", "evt_1", at=T0 - DAY)
        cleared.clear(by="analyst_1", at=T0)
        for each in (alert("al_2", "evt_2", at=T0), alert("al_1", "evt_1", at=T0 - HOUR), cleared):
            await alerts.save(each)

        open_ones = await alerts.by_state(AlertState.OPEN)
        closed = await alerts.by_state(AlertState.CLEARED)
        of_event = await alerts.for_event("evt_1")

        assert [a.alert_id for a in open_ones] == ["al_1", "al_2"]
        assert [a.alert_id for a in closed] == ["al_c"]
        assert sorted(a.alert_id for a in of_event) == ["al_1", "al_c"]


class OverrideRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    def overrides(self) -> OverrideRepository: ...

    async def test_an_override_is_saved_whole_and_replaced_by_its_next_save(
        self, overrides: OverrideRepository
    ) -> None:
        requested = override("ovr_1", "evt_1")
        requested.pull_events()
        await overrides.save(requested)
        assert await overrides.get("ovr_1") == requested

        requested.approve(by="admin_2", at=T0 + HOUR)
        requested.pull_events()
        await overrides.save(requested)

        stored = await overrides.get("ovr_1")
        assert stored == requested
        assert stored.state is OverrideState.APPROVED
        assert await overrides.get("ovr_2") is None

    async def test_overrides_are_found_by_event_and_by_escrow_oldest_first(
        self, overrides: OverrideRepository
    ) -> None:
        for each in (
            override("ovr_b", "evt_2", at=T0),
            override("ovr_a", "evt_1", at=T0 - HOUR),
            override("ovr_x", "evt_3", escrow="esc_2", at=T0 - DAY),
            override("ovr_n", "evt_4", escrow=None),
        ):
            await overrides.save(each)

        of_event = await overrides.for_event("evt_1")
        of_escrow = await overrides.for_escrow("esc_1")

        assert [o.override_id for o in of_event] == ["ovr_a"]
        assert [o.override_id for o in of_escrow] == ["ovr_a", "ovr_b"]
        assert not await overrides.for_event("evt_9")


class TestInMemoryRiskHistory(RiskHistoryContract):
    @pytest.fixture
    def history(self) -> RiskHistory:
        return InMemoryRiskHistory()


class TestInMemoryPartyProfiles(PartyProfilesContract):
    @pytest.fixture
    def profiles(self) -> PartyProfiles:
        return InMemoryPartyProfiles()


class TestInMemoryRiskLists(RiskListsContract):
    @pytest.fixture
    def lists(self) -> RiskLists:
        return InMemoryRiskLists()


class TestInMemoryAlertRepository(AlertRepositoryContract):
    @pytest.fixture
    def alerts(self) -> AlertRepository:
        return InMemoryAlertRepository()


class TestInMemoryOverrideRepository(OverrideRepositoryContract):
    @pytest.fixture
    def overrides(self) -> OverrideRepository:
        return InMemoryOverrideRepository()
