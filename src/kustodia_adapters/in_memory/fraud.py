"""In-memory stores for the fraud engine: history, profiles, lists, alerts and overrides.

The history is indexed for point-in-time queries: one time-sorted series per ``(key, kind)``
and one per ``(actor, attribute, value)`` for the values-used index, searched with ``bisect``,
so a window query costs ``O(log n + k)``. Events and decisions
are copied when appended (their dictionaries of scalar facts are copied, which is a deep copy)
and never change afterwards; window queries hand out those stored, read-only events without
copying because they are the engine's hot path. Entries, alerts and overrides are deep-copied on
the way in and out. Profiles and list entries are frozen values of immutable fields, so sharing
them cannot alias anything.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.fraud.history import HistoryEntry, HistoryKey, history_keys, history_values
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind, ListName
from kustodia_domain.fraud.overrides import Override
from kustodia_domain.fraud.profiles import PartyProfile
from kustodia_domain.fraud.screening import FiredRule, RiskDecision, RiskEvent
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.ports.risk_history import AlertRepository, OverrideRepository, RiskHistory
from kustodia_domain.ports.risk_lists import RiskLists
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc


class _Series:
    """Events of one key, sorted by time (ties keep append order)."""

    __slots__ = ("events", "sequences", "times")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.sequences: list[int] = []
        self.events: list[RiskEvent] = []

    def insert(self, at: datetime, sequence: int, event: RiskEvent) -> None:
        if not self.times or at >= self.times[-1]:
            self.times.append(at)
            self.sequences.append(sequence)
            self.events.append(event)
            return
        index = bisect_right(self.times, at)
        self.times.insert(index, at)
        self.sequences.insert(index, sequence)
        self.events.insert(index, event)

    def rows(
        self, since: datetime | None, until: datetime, recorded_before: int | None
    ) -> list[tuple[datetime, int, RiskEvent]]:
        low = 0 if since is None else bisect_left(self.times, since)
        high = bisect_left(self.times, until, low)
        return [
            (self.times[i], self.sequences[i], self.events[i])
            for i in range(low, high)
            if recorded_before is None or self.sequences[i] < recorded_before
        ]

    def window(
        self, since: datetime | None, until: datetime, recorded_before: int | None
    ) -> Sequence[RiskEvent]:
        low = 0 if since is None else bisect_left(self.times, since)
        high = bisect_left(self.times, until, low)
        if low >= high:
            return ()
        if recorded_before is None:
            return self.events[low:high]
        return [
            e
            for s, e in zip(self.sequences[low:high], self.events[low:high], strict=True)
            if s < recorded_before
        ]


def _stored_event(event: RiskEvent) -> RiskEvent:
    # Attribute values are immutable scalars, so copying the dictionary is a deep copy.
    return RiskEvent(
        event_id=event.event_id,
        kind=event.kind,
        occurred_at=ensure_utc(event.occurred_at, field="occurred_at"),
        actor_id=event.actor_id,
        escrow_id=event.escrow_id,
        amount=event.amount,
        attributes=dict(event.attributes),
    )


def _stored_rule(fired: FiredRule) -> FiredRule:
    return FiredRule(
        rule_id=fired.rule_id,
        outcome=fired.outcome,
        score=fired.score,
        explanation=fired.explanation,
        parameters=dict(fired.parameters),
        actions=fired.actions,
        failed=fired.failed,
    )


def _stored_decision(decision: RiskDecision) -> RiskDecision:
    # Built field by field (not ``attrs.evolve``): this runs once per screened event.
    return RiskDecision(
        event_id=decision.event_id,
        outcome=decision.outcome,
        score=decision.score,
        fired=tuple(_stored_rule(f) for f in decision.fired),
        ruleset=decision.ruleset,
        facts=dict(decision.facts),
        actions=decision.actions,
        fact_errors=dict(decision.fact_errors),
        ruleset_label=decision.ruleset_label,
    )


class InMemoryRiskHistory(RiskHistory):
    def __init__(self) -> None:
        self._entries: list[HistoryEntry] = []
        self._by_event: dict[str, HistoryEntry] = {}
        self._series: defaultdict[HistoryKey, dict[str, _Series]] = defaultdict(dict)  # by kind
        self._values: defaultdict[tuple[HistoryKey, str], dict[str, _Series]] = defaultdict(dict)

    async def append(
        self, event: RiskEvent, decision: RiskDecision, shadow: tuple[RiskDecision, ...] = ()
    ) -> HistoryEntry:
        stored = _stored_event(event)
        entry = HistoryEntry(
            event=stored,
            decision=_stored_decision(decision),
            shadow=tuple(_stored_decision(d) for d in shadow),
            sequence=len(self._entries),
        )
        self._entries.append(entry)
        self._by_event.setdefault(stored.event_id, entry)
        for key in history_keys(stored):
            by_kind = self._series[key]
            series = by_kind.get(stored.kind)
            if series is None:
                series = by_kind[stored.kind] = _Series()
            series.insert(stored.occurred_at, entry.sequence, stored)
        for key, attribute, value in history_values(stored):
            by_value = self._values[key, attribute]
            series = by_value.get(value)
            if series is None:
                series = by_value[value] = _Series()
            series.insert(stored.occurred_at, entry.sequence, stored)
        # The caller keeps its own objects; the store keeps copies, so nothing is shared.
        return HistoryEntry(event=event, decision=decision, shadow=shadow, sequence=entry.sequence)

    async def entry(self, event_id: str) -> HistoryEntry | None:
        found = self._by_event.get(event_id)
        return None if found is None else copy.deepcopy(found)

    async def entries(self) -> Sequence[HistoryEntry]:
        return copy.deepcopy(self._entries)

    async def events(
        self,
        key: HistoryKey,
        *,
        until: datetime,
        since: datetime | None = None,
        kinds: frozenset[str] | None = None,
        recorded_before: int | None = None,
    ) -> Sequence[RiskEvent]:
        by_kind = self._series.get(key)
        if by_kind is None:
            return ()
        parts = [
            series
            for name in (by_kind if kinds is None else kinds)
            if (series := by_kind.get(name)) is not None
        ]
        if len(parts) == 1:
            return parts[0].window(since, until, recorded_before)
        # Several kinds: merge by time, then by recording order (sequences are unique).
        rows = sorted(row for part in parts for row in part.rows(since, until, recorded_before))
        return [event for _, _, event in rows]

    async def values_used(
        self,
        key: HistoryKey,
        attribute: str,
        *,
        until: datetime,
        since: datetime | None = None,
        recorded_before: int | None = None,
    ) -> Mapping[str, tuple[datetime, datetime]]:
        used: dict[str, tuple[datetime, datetime]] = {}
        for value, series in self._values.get((key, attribute), {}).items():
            if recorded_before is not None:
                found = series.window(since, until, recorded_before)
                if found:
                    used[value] = (found[0].occurred_at, found[-1].occurred_at)
                continue
            times = series.times
            low = 0 if since is None else bisect_left(times, since)
            high = bisect_left(times, until, low)
            if low < high:
                used[value] = (times[low], times[high - 1])
        return used


class InMemoryPartyProfiles(PartyProfiles):
    def __init__(self) -> None:
        self._versions: dict[str, tuple[list[datetime], list[PartyProfile]]] = {}

    async def save(self, profile: PartyProfile) -> None:
        times, profiles = self._versions.setdefault(profile.party_id, ([], []))
        at = ensure_utc(profile.valid_from, field="valid_from")
        index = bisect_right(times, at)
        times.insert(index, at)
        profiles.insert(index, profile)

    async def profile_as_of(self, party_id: str, at: datetime) -> PartyProfile | None:
        versions = self._versions.get(party_id)
        if versions is None:
            return None
        index = bisect_right(versions[0], at)
        return versions[1][index - 1] if index else None


class InMemoryRiskLists(RiskLists):
    def __init__(self) -> None:
        self._by_id: dict[str, ListEntry] = {}
        self._by_identifier: defaultdict[Identifier, set[str]] = defaultdict(set)
        self._by_token: defaultdict[str, set[str]] = defaultdict(set)

    async def add(self, entry: ListEntry) -> None:
        self._by_id[entry.entry_id] = entry
        self._by_identifier[entry.kind, entry.value].add(entry.entry_id)
        if entry.kind is ListKind.NAME:
            for token in entry.value.split():
                self._by_token[token].add(entry.entry_id)

    async def remove(self, entry_id: str, *, at: datetime, by: str) -> None:
        entry = self._by_id.get(entry_id)
        if entry is None:
            raise NotFoundError("list entry", entry_id)
        self._by_id[entry_id] = entry.removed(at=at, by=by)

    async def entry(self, entry_id: str) -> ListEntry | None:
        return self._by_id.get(entry_id)

    async def listed(self, list_name: ListName, at: datetime) -> tuple[ListEntry, ...]:
        found = (e for e in self._by_id.values() if e.list_name is list_name and e.is_active(at))
        return tuple(sorted(found, key=lambda e: (e.added_at, e.entry_id)))

    async def active_matches(
        self, identifiers: Collection[Identifier], at: datetime
    ) -> tuple[ListEntry, ...]:
        ids = {i for identifier in identifiers for i in self._by_identifier.get(identifier, ())}
        return self._active(ids, at)

    async def names_sharing_tokens(
        self, tokens: Collection[str], at: datetime
    ) -> tuple[ListEntry, ...]:
        if not self._by_token:
            return ()
        ids = {i for token in tokens for i in self._by_token.get(token, ())}
        return self._active(ids, at)

    def _active(self, ids: set[str], at: datetime) -> tuple[ListEntry, ...]:
        entries = (self._by_id[i] for i in sorted(ids))
        return tuple(entry for entry in entries if entry.is_active(at))


class InMemoryAlertRepository(AlertRepository):
    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}

    async def save(self, alert: Alert) -> None:
        self._alerts[alert.alert_id] = copy.deepcopy(alert)

    async def get(self, alert_id: str) -> Alert | None:
        return copy.deepcopy(self._alerts.get(alert_id))

    async def by_state(self, state: AlertState) -> Sequence[Alert]:
        found = [a for a in self._alerts.values() if a.state is state]
        return copy.deepcopy(sorted(found, key=lambda a: (a.raised_at, a.alert_id)))

    async def for_event(self, event_id: str) -> Sequence[Alert]:
        return copy.deepcopy([a for a in self._alerts.values() if a.event_id == event_id])


class InMemoryOverrideRepository(OverrideRepository):
    def __init__(self) -> None:
        self._overrides: dict[str, Override] = {}

    async def save(self, override: Override) -> None:
        self._overrides[override.override_id] = copy.deepcopy(override)

    async def get(self, override_id: str) -> Override | None:
        return copy.deepcopy(self._overrides.get(override_id))

    async def for_event(self, event_id: str) -> Sequence[Override]:
        return copy.deepcopy([o for o in self._overrides.values() if o.event_id == event_id])

    async def for_escrow(self, escrow_id: str) -> Sequence[Override]:
        found = [o for o in self._overrides.values() if o.escrow_id == escrow_id]
        return copy.deepcopy(sorted(found, key=lambda o: (o.requested_at, o.override_id)))
