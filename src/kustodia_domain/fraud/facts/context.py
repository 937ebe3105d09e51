"""Everything a fact provider may read for one event, with per-event caches.

The context answers *as of* the event: history windows end strictly before ``occurred_at`` (and,
in replays, before the event's sequence number), profiles and list entries are the versions in
force at ``occurred_at``. :meth:`FactContext.prepare` fetches the parties' profiles and the
matching list entries once, so that the many facts derived from them are plain function calls.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import attrs

from kustodia_domain.fraud.history import HistoryKey, RiskHistory
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind, RiskLists, identifier
from kustodia_domain.fraud.profiles import PartyProfile, PartyProfiles
from kustodia_domain.fraud.screening import RiskEvent
from kustodia_domain.fraud.settings import Settings
from kustodia_domain.fraud.vocabulary import CLABE_ATTRIBUTES, mxn_minor
from kustodia_domain.shared.money import MXN
from kustodia_domain.shared.time import ensure_utc

_EVENT_IDENTIFIERS = {
    "email": ListKind.EMAIL,
    "ip": ListKind.IP,
    "device": ListKind.DEVICE,
    "phone": ListKind.PHONE,
    "rfc": ListKind.RFC,
    "curp": ListKind.CURP,
} | dict.fromkeys(CLABE_ATTRIBUTES, ListKind.CLABE)
_ACTOR_IDENTIFIERS = {"rfc": ListKind.RFC, "curp": ListKind.CURP}


_WindowKey = tuple[HistoryKey, frozenset[str] | None]


class NotPreparedError(LookupError):
    """A provider read prepared data its family did not declare in ``needs``."""


@attrs.frozen(kw_only=True)
class FactSources:
    """The ports facts are computed from."""

    history: RiskHistory
    profiles: PartyProfiles
    lists: RiskLists


def amount_of(event: RiskEvent) -> int:
    """The event's amount in MXN centavos, 0 when it has none."""
    amount = event.amount
    if amount is not None and amount.currency is MXN:  # the common case, without a call
        return amount.amount_minor
    return mxn_minor(amount) or 0


def total_minor(events: Iterable[RiskEvent]) -> int:
    """The sum of the events' amounts in MXN centavos (``amount_of`` of each)."""
    total = 0
    for event in events:
        amount = event.amount
        if amount is not None:
            total += amount.amount_minor if amount.currency is MXN else mxn_minor(amount) or 0
    return total


@lru_cache(maxsize=256)
def duration(seconds: int) -> timedelta:
    """``timedelta(seconds=seconds)``, built once per window length (rulesets use a handful)."""
    return timedelta(seconds=seconds)


def _party(attributes: Mapping[str, object], name: str) -> str | None:
    value = attributes.get(name)
    return value if isinstance(value, str) and value else None


class FactContext:
    """One event's view of the world, as of the event's time.

    Everything it fetches or derives is kept for the event's duration (histories by key and
    kinds, values used, profiles, list entries, identifiers, caps), so the several facts that
    read the same thing pay for it once. A context is never reused for another event.
    """

    __slots__ = (
        "_caps",
        "_entries",
        "_identifiers",
        "_local",
        "_month_start",
        "_profiles",
        "_times",
        "_used",
        "_windows",
        "at",
        "event",
        "memo",
        "parties",
        "party",
        "profile_of",
        "recorded_before",
        "settings",
        "sources",
    )

    def __init__(
        self,
        event: RiskEvent,
        settings: Settings,
        sources: FactSources,
        recorded_before: int | None = None,
    ) -> None:
        self.event = event
        self.settings = settings
        self.sources = sources
        self.recorded_before = recorded_before
        at = event.occurred_at
        self.at = at if at.tzinfo is UTC else ensure_utc(at, field="occurred_at")
        attributes = event.attributes
        # Same as ``vocabulary.party_id`` for each of PARTY_ROLES, without three calls.
        self.parties: dict[str, str | None] = {
            "payer": _party(attributes, "payer_id"),
            "payee": _party(attributes, "payee_id"),
            "actor": event.actor_id,
        }
        self.party: Callable[[str], str | None] = self.parties.get
        """The user id in ``role`` (``payer``, ``payee``, ``actor``), or ``None``.

        The dictionary's own ``get``: providers call it for most facts, so it costs no frame.
        """
        self.profile_of: Callable[[str], PartyProfile | None] = self._profile_of
        """The prepared profile of the party in ``role`` (``None`` without a party or profile).

        Raises ``NotPreparedError`` until profiles are prepared; from then on it is a lookup in
        a dictionary by role, like :attr:`party`.
        """
        self.memo: dict[str, object] = {}
        """Scratch space for values several providers derive from the same inputs."""
        self._profiles: dict[str, PartyProfile | None] = {}
        # Per key and kinds: the widest window fetched, as ``(since, events)``, and the events'
        # times once a narrower window has been cut from it.
        self._windows: dict[_WindowKey, tuple[datetime | None, Sequence[RiskEvent]]] = {}
        self._times: dict[_WindowKey, list[datetime]] = {}
        self._used: dict[tuple[HistoryKey, str], Mapping[str, tuple[datetime, datetime]]] = {}
        self._entries: tuple[ListEntry, ...] | None = None
        self._identifiers: frozenset[Identifier] | None = None
        self._caps: dict[int, int | None] = {}
        self._local: datetime | None = None
        self._month_start: datetime | None = None

    async def prepare(self, needs: Collection[str]) -> None:
        """Fetch what the facts about to be computed need (idempotent)."""
        if "profiles" in needs or "lists" in needs:
            profiles = self._profiles
            for user in self.parties.values():
                if user is not None and user not in profiles:
                    profiles[user] = await self.sources.profiles.profile_as_of(user, self.at)
            by_role: dict[str, PartyProfile | None] = {}
            for role, user in self.parties.items():
                if user is not None:
                    by_role[role] = profiles[user]
            self.profile_of = by_role.get
        if "lists" in needs and self._entries is None:
            self._entries = await self.sources.lists.active_matches(
                self._every_identifier(), self.at
            )

    async def profile(self, user: str | None) -> PartyProfile | None:
        """The profile of ``user`` as of the event (any user, fetched on demand)."""
        if user is None:
            return None
        if user not in self._profiles:
            self._profiles[user] = await self.sources.profiles.profile_as_of(user, self.at)
        return self._profiles[user]

    def _profile_of(self, role: str) -> PartyProfile | None:
        """:attr:`profile_of` before :meth:`prepare` (a profile fetched on demand counts)."""
        user = self.parties.get(role)
        if user is None:
            return None
        try:
            return self._profiles[user]
        except KeyError:
            raise NotPreparedError("profiles were not prepared") from None

    def identifiers(self, role: str | None = None) -> frozenset[Identifier]:
        """Normalised identifiers of one party, or of the event and all its parties.

        A party's are its profile's, plus the RFC/CURP on the event for the actor; with ``role``
        ``None``, the event's own identifier attributes and every party's (computed once).
        """
        if role is None:
            if self._identifiers is None:
                self._identifiers = frozenset(self._every_identifier())
            return self._identifiers
        mine = self._profile_identifiers(role)
        if role != "actor" or self.parties.get(role) is None:
            return mine
        extra = _attribute_identifiers(self.event.attributes, _ACTOR_IDENTIFIERS)
        return mine | extra if extra else mine

    def _every_identifier(self) -> tuple[Identifier, ...]:
        """The event's and every party's identifiers, possibly repeated (fine for a lookup).

        Concatenated rather than merged into a set: the list lookup probes each one anyway.
        """
        payer = self._profile_identifiers("payer")
        payee = self._profile_identifiers("payee")
        actor = self._profile_identifiers("actor")
        if actor is payer or actor is payee:  # the same profile's set: once is enough
            actor = frozenset()
        # The actor's RFC/CURP on the event are among the event's own identifiers.
        event = _attribute_identifiers(self.event.attributes, _EVENT_IDENTIFIERS)
        return (*event, *payer, *payee, *actor)

    def _profile_identifiers(self, role: str) -> frozenset[Identifier]:
        """The identifiers of the party in ``role``: its profile's, or just its user id."""
        user = self.parties.get(role)
        if user is None:
            return frozenset()
        profile = self.profile_of(role)
        return profile.identifiers if profile else frozenset({identifier(ListKind.USER, user)})

    def list_entries(self) -> tuple[ListEntry, ...]:
        """Prepared list entries active at the event's time matching any of its identifiers.

        Raises:
            NotPreparedError: lists were not prepared.
        """
        if self._entries is None:
            raise NotPreparedError("lists were not prepared")
        return self._entries

    def start(self, seconds: int) -> datetime:
        """The start of the window of the last ``seconds`` before the event."""
        return self.at - duration(seconds)

    async def since(
        self, key: HistoryKey, since: datetime | None, kinds: frozenset[str] | None = None
    ) -> Sequence[RiskEvent]:
        """History events under ``key`` with ``since <= occurred_at <`` the event's time.

        The widest window fetched per key and kinds is kept; narrower ones are cut from it, so
        the several windows the rules read over one party cost one query.
        """
        window_key = (key, kinds)
        fetched = self._windows.get(window_key)
        if fetched is not None:
            fetched_since, events = fetched
            if fetched_since is None or (since is not None and fetched_since <= since):
                if since is None or since == fetched_since:
                    return events
                times = self._times.get(window_key)
                if times is None:
                    times = self._times[window_key] = [event.occurred_at for event in events]
                return events[bisect_left(times, since) :]
        events = await self.sources.history.events(
            key, since=since, until=self.at, kinds=kinds, recorded_before=self.recorded_before
        )
        self._windows[window_key] = (since, events)
        if self._times:  # times cut from the window this one replaces
            self._times.pop(window_key, None)
        return events

    def window(
        self, key: HistoryKey, seconds: int | None, kinds: frozenset[str] | None = None
    ) -> Coroutine[object, None, Sequence[RiskEvent]]:
        """History events under ``key`` in the last ``seconds`` (all of history if ``None``).

        Awaitable: it is :meth:`since` from a start relative to the event, handed over without a
        coroutine of its own (a velocity fact is mostly this call).
        """
        return self.since(key, None if seconds is None else self.at - duration(seconds), kinds)

    async def used(
        self, key: HistoryKey, attribute: str
    ) -> Mapping[str, tuple[datetime, datetime]]:
        """Every ``attribute`` value used under ``key`` before the event: its first and last use.

        Read once per key and attribute; windows are cut from it by last use. Read-only.
        """
        found = self._used.get((key, attribute))
        if found is None:
            found = await self.sources.history.values_used(
                key, attribute, until=self.at, recorded_before=self.recorded_before
            )
            self._used[key, attribute] = found
        return found

    async def values_used(
        self, key: HistoryKey, attribute: str, seconds: int | None
    ) -> dict[str, datetime]:
        """Distinct ``attribute`` values under ``key`` used in the last ``seconds`` (or ever).

        Each maps to its first use ever (before the event); see :meth:`used`.
        """
        found = await self.used(key, attribute)
        if seconds is None:
            return {value: first for value, (first, _) in found.items()}
        since = self.at - duration(seconds)
        return {value: first for value, (first, last) in found.items() if last >= since}

    def local(self) -> datetime:
        """The event's time in the ruleset's time zone (converted once per event).

        The settings' calendar helpers accept it as is: converting a time to the zone it is
        already in costs nothing.
        """
        if self._local is None:
            self._local = self.settings.local(self.at)
        return self._local

    def cap_minor(self, level: int) -> int | None:
        """The monthly cap of KYC ``level`` on the event's date (cached per event)."""
        caps = self._caps
        if level not in caps:
            caps[level] = self.settings.cap_minor_on(level, self.local().date())
        return caps[level]

    def month_start(self) -> datetime:
        """Start of the event's local calendar month, as a UTC time (cached per event).

        The same instant as ``Settings.month_start``; in UTC, like every stored time, so that
        the window searches compare times without computing a zone offset each time.
        """
        if self._month_start is None:
            self._month_start = self.settings.month_start_utc(self.local())
        return self._month_start

    def is_current(self, kind: str, role: str, user: str | None) -> bool:
        """Whether the event itself is a ``kind`` event with ``user`` in ``role``."""
        return user is not None and self.event.kind == kind and self.parties.get(role) == user


def _attribute_identifiers(
    attributes: Mapping[str, object], kinds: Mapping[str, ListKind]
) -> frozenset[Identifier]:
    """The normalised identifiers among the non-empty text ``attributes`` named in ``kinds``."""
    found: set[Identifier] = set()
    # Walk the shorter of the two: an event carries a handful of attributes.
    if len(attributes) < len(kinds):
        for name, value in attributes.items():
            kind = kinds.get(name)
            if kind is not None and isinstance(value, str) and value:
                found.add(identifier(kind, value))
    else:
        for name, kind in kinds.items():
            value = attributes.get(name)
            if isinstance(value, str) and value:
                found.add(identifier(kind, value))
    return frozenset(found)
