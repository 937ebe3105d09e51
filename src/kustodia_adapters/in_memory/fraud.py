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
from operator import attrgetter
from typing import Any, NamedTuple

from kustodia_domain.fraud.alerts import Alert, AlertState
from kustodia_domain.fraud.history import HistoryEntry, HistoryKey, history_keys, history_values
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind, ListName
from kustodia_domain.fraud.overrides import Override
from kustodia_domain.fraud.profiles import PartyProfile
from kustodia_domain.fraud.screening import FactValue, FiredRule, Outcome, RiskDecision, RiskEvent
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.ports.risk_history import AlertRepository, OverrideRepository, RiskHistory
from kustodia_domain.ports.risk_lists import RiskLists
from kustodia_domain.shared.errors import NotFoundError
from kustodia_domain.shared.time import ensure_utc

_TIME = attrgetter("occurred_at")
"""The sort key of a series (``bisect`` searches a series by it)."""


class _Series(list[RiskEvent]):
    """Stored events of one key and kind (or of one used value) by time; ties keep append order.

    Never empty. Nearly every append starts a series (a new escrow, pair, kind or value), so a
    series is only its list of events, searched by time with ``bisect``: no parallel lists of
    times or sequences for the garbage collector to track.
    """

    __slots__ = ()

    def add(self, event: RiskEvent) -> None:
        at = event.occurred_at
        if at >= self[-1].occurred_at:
            self.append(event)
        else:
            self.insert(bisect_right(self, at, key=_TIME), event)

    def window(self, since: datetime | None, until: datetime) -> Sequence[RiskEvent]:
        """The events with ``since <= occurred_at < until``."""
        # Windows of weeks often hold a party's whole series, and screening asks about the
        # present: usually no search is needed at either end.
        if since is None or since <= self[0].occurred_at:
            low = 0
        else:
            low = bisect_left(self, since, key=_TIME)
        if self[-1].occurred_at < until:
            high = len(self)
        else:
            high = bisect_left(self, until, low, key=_TIME)
        return self[low:high] if low < high else ()


def _file(series_of: dict[Any, _Series], name: Any, event: RiskEvent) -> _Series:
    """Add ``event`` to the series ``series_of[name]``, starting it if there is none."""
    series = series_of.get(name)
    if series is None:
        series = series_of[name] = _Series((event,))
    else:
        series.add(event)
    return series


class _Used:
    """The values of one attribute under one key: a series per value, and a summary.

    ``spans`` maps each value to the first and the last time it was used and ``latest`` is the
    last use of any value, so the engine's usual question (every value used before now, when
    every use is before now) is a copy of ``spans`` instead of a search per value.
    """

    __slots__ = ("latest", "series", "spans")

    def __init__(self, at: datetime) -> None:
        self.latest = at
        self.series: dict[str, _Series] = {}
        self.spans: dict[str, tuple[datetime, datetime]] = {}

    def add(self, value: str, event: RiskEvent) -> None:
        series = _file(self.series, value, event)
        self.spans[value] = (series[0].occurred_at, series[-1].occurred_at)
        self.latest = max(self.latest, event.occurred_at)


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


_Items = tuple[tuple[str, Any], ...]

_RuleRow = tuple[str, int, int, str, _Items, tuple[str, ...], bool]
"""A fired rule as the history keeps it: ``FiredRule``'s fields in order (see ``_DecisionRow``)."""

_DecisionRow = tuple[
    str,
    int,
    int,
    tuple[_RuleRow, ...],
    str,
    tuple[str, ...],
    tuple[FactValue, ...],
    tuple[str, ...],
    _Items,
    str,
]
"""A decision as the history keeps it: ``RiskDecision``'s fields in order, facts as keys and values.

A plain tuple built in one step (a frozen attrs instance sets each field through
``object.__setattr__``, several times the cost, once per screened event). It holds only strings,
numbers and tuples of them (outcomes as numbers, mappings as tuples, fact keys shared by every
decision with the same facts), so it is compact and the garbage collector stops tracking it
after one look; a tuple holding a dictionary is tracked for good. Reads rebuild the objects.
"""


def _rule_row(fired: FiredRule) -> _RuleRow:
    return (
        fired.rule_id,
        int(fired.outcome),
        fired.score,
        fired.explanation,
        tuple(fired.parameters.items()),
        fired.actions,
        fired.failed,
    )


def _rule(row: _RuleRow) -> FiredRule:
    rule_id, outcome, score, explanation, parameters, actions, failed = row
    return FiredRule(
        rule_id=rule_id,
        outcome=Outcome(outcome),
        score=score,
        explanation=explanation,
        parameters=dict(parameters),
        actions=actions,
        failed=failed,
    )


def _decision(row: _DecisionRow) -> RiskDecision:
    event_id, outcome, score, fired, ruleset, keys, values, actions, fact_errors, label = row
    return RiskDecision(
        event_id=event_id,
        outcome=Outcome(outcome),
        score=score,
        fired=tuple(_rule(f) for f in fired),
        ruleset=ruleset,
        facts=dict(zip(keys, values, strict=True)),
        actions=actions,
        fact_errors=dict(fact_errors),
        ruleset_label=label,
    )


class _StoredEntry(NamedTuple):
    """A history entry as the history keeps it (decisions as ``_DecisionRow``)."""

    event: RiskEvent
    decision: _DecisionRow
    shadow: tuple[_DecisionRow, ...]
    sequence: int

    def entry(self) -> HistoryEntry:
        """A new ``HistoryEntry`` sharing nothing mutable with the store."""
        return HistoryEntry(
            event=_stored_event(self.event),
            decision=_decision(self.decision),
            shadow=tuple(_decision(d) for d in self.shadow),
            sequence=self.sequence,
        )


_STORY_DIMENSIONS = frozenset({"escrow", "pair"})
"""Dimensions whose keys belong to one escrow story: a handful of events of several kinds.

Their events are kept in one series per key and filtered by kind when read; a series per kind
would add a list (and a dictionary per key) for the garbage collector with nearly every event.
"""


class InMemoryRiskHistory(RiskHistory):
    def __init__(self) -> None:
        self._entries: list[_StoredEntry] = []
        self._by_event: dict[str, _StoredEntry] = {}
        self._series: dict[HistoryKey, dict[str, _Series]] = {}  # by kind
        self._stories: dict[HistoryKey, _Series] = {}  # every kind, for _STORY_DIMENSIONS
        self._values: dict[tuple[HistoryKey, str], _Used] = {}
        self._sequence_of: dict[int, int] | None = None  # see _sequences
        self._fact_keys: dict[tuple[str, ...], tuple[str, ...]] = {}

    async def append(
        self, event: RiskEvent, decision: RiskDecision, shadow: tuple[RiskDecision, ...] = ()
    ) -> HistoryEntry:
        stored = _stored_event(event)
        sequence = len(self._entries)
        entry = _StoredEntry(
            stored,
            self._decision_row(decision),
            tuple(self._decision_row(d) for d in shadow) if shadow else (),
            sequence,
        )
        self._entries.append(entry)
        self._by_event.setdefault(stored.event_id, entry)
        if self._sequence_of is not None:
            self._sequence_of[id(stored)] = sequence
        kind = stored.kind
        index, stories = self._series, self._stories
        for key in history_keys(stored):
            if key[0] in _STORY_DIMENSIONS:
                _file(stories, key, stored)
                continue
            by_kind = index.get(key)
            if by_kind is None:
                index[key] = {kind: _Series((stored,))}
            else:
                _file(by_kind, kind, stored)
        for key, attribute, value in history_values(stored):
            used = self._values.get((key, attribute))
            if used is None:
                used = self._values[key, attribute] = _Used(stored.occurred_at)
            used.add(value, stored)
        # The caller keeps its own objects; the store keeps copies, so nothing is shared.
        return HistoryEntry(event=event, decision=decision, shadow=shadow, sequence=sequence)

    def _decision_row(self, decision: RiskDecision) -> _DecisionRow:
        facts = decision.facts
        keys = tuple(facts)
        keys = self._fact_keys.setdefault(keys, keys)  # one tuple per set of facts
        return (
            decision.event_id,
            int(decision.outcome),
            decision.score,
            tuple(_rule_row(f) for f in decision.fired) if decision.fired else (),
            decision.ruleset,
            keys,
            tuple(facts.values()),
            decision.actions,
            tuple(decision.fact_errors.items()),
            decision.ruleset_label,
        )

    async def entry(self, event_id: str) -> HistoryEntry | None:
        found = self._by_event.get(event_id)
        return None if found is None else found.entry()

    async def entries(self) -> Sequence[HistoryEntry]:
        return [stored.entry() for stored in self._entries]

    async def events(
        self,
        key: HistoryKey,
        *,
        until: datetime,
        since: datetime | None = None,
        kinds: frozenset[str] | None = None,
        recorded_before: int | None = None,
    ) -> Sequence[RiskEvent]:
        if key[0] in _STORY_DIMENSIONS:
            return self._story_events(key, since, until, kinds, recorded_before)
        by_kind = self._series.get(key)
        if by_kind is None:
            return ()
        if kinds is not None and len(kinds) == 1:  # what the engine asks, nearly always
            (kind,) = kinds
            series = by_kind.get(kind)
            if series is None:
                return ()
            found = series.window(since, until)
            return found if recorded_before is None else self._before(found, recorded_before)
        parts = [
            self._before(series.window(since, until), recorded_before)
            for name in (by_kind if kinds is None else kinds)
            if (series := by_kind.get(name)) is not None
        ]
        if len(parts) == 1:
            return parts[0]
        # Several kinds: merge by time, then by recording order (sequences are unique).
        sequence_of = self._sequences()
        return sorted(
            (event for part in parts for event in part),
            key=lambda event: (event.occurred_at, sequence_of[id(event)]),
        )

    def _story_events(
        self,
        key: HistoryKey,
        since: datetime | None,
        until: datetime,
        kinds: frozenset[str] | None,
        recorded_before: int | None,
    ) -> Sequence[RiskEvent]:
        story = self._stories.get(key)
        if story is None:
            return ()
        found = self._before(story.window(since, until), recorded_before)
        # Time order, ties in recording order: what merging per-kind series gives.
        return found if kinds is None else [e for e in found if e.kind in kinds]

    def _before(
        self, events: Sequence[RiskEvent], recorded_before: int | None
    ) -> Sequence[RiskEvent]:
        """The ``events`` recorded before sequence ``recorded_before`` (all if ``None``)."""
        if recorded_before is None or not events:
            return events
        sequence_of = self._sequences()
        return [e for e in events if sequence_of[id(e)] < recorded_before]

    def _sequences(self) -> dict[int, int]:
        """The sequence of each stored event, by identity, built when a replay first asks.

        Stored events stay in ``_entries`` for the history's lifetime, so their ids are never
        reused; once built, ``append`` keeps the map up to date.
        """
        if self._sequence_of is None:
            self._sequence_of = {id(entry.event): entry.sequence for entry in self._entries}
        return self._sequence_of

    async def values_used(
        self,
        key: HistoryKey,
        attribute: str,
        *,
        until: datetime,
        since: datetime | None = None,
        recorded_before: int | None = None,
    ) -> Mapping[str, tuple[datetime, datetime]]:
        used = self._values.get((key, attribute))
        if used is None:
            return {}
        if since is None and recorded_before is None and used.latest < until:
            return dict(used.spans)
        found: dict[str, tuple[datetime, datetime]] = {}
        for value, series in used.series.items():
            window = self._before(series.window(since, until), recorded_before)
            if window:
                found[value] = (window[0].occurred_at, window[-1].occurred_at)
        return found


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
        # Intersecting with the index's keys runs in C; an event rarely matches anything.
        matched = self._by_identifier.keys() & identifiers
        if not matched:
            return ()
        return self._active(set().union(*(self._by_identifier[i] for i in matched)), at)

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
