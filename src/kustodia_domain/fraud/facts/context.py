"""Everything a fact provider may read for one event, with per-event caches.

The context answers *as of* the event: history windows end strictly before ``occurred_at`` (and,
in replays, before the event's sequence number), profiles and list entries are the versions in
force at ``occurred_at``. :meth:`FactContext.prepare` fetches the parties' profiles and the
matching list entries once, so that the many facts derived from them are plain function calls.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_domain.fraud.history import HistoryKey, RiskHistory
from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind, RiskLists, identifier
from kustodia_domain.fraud.profiles import PartyProfile, PartyProfiles
from kustodia_domain.fraud.screening import RiskEvent
from kustodia_domain.fraud.settings import Settings
from kustodia_domain.fraud.vocabulary import CLABE_ATTRIBUTES, PARTY_ROLES, mxn_minor, party_id
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


class _Fetched:
    """Events fetched for one key and kinds from ``since`` on, and their times for cutting."""

    __slots__ = ("events", "since", "times")

    def __init__(self, since: datetime | None, events: Sequence[RiskEvent]) -> None:
        self.since = since
        self.events = events
        self.times: list[datetime] | None = None

    def covers(self, since: datetime | None) -> bool:
        return self.since is None or (since is not None and self.since <= since)

    def cut(self, since: datetime | None) -> Sequence[RiskEvent]:
        if since is None or since == self.since:
            return self.events
        if self.times is None:
            self.times = [event.occurred_at for event in self.events]
        return self.events[bisect_left(self.times, since) :]


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
    return mxn_minor(event.amount) or 0


class FactContext:
    """One event's view of the world, as of the event's time."""

    __slots__ = (
        "_entries",
        "_profiles",
        "_values",
        "_windows",
        "at",
        "event",
        "memo",
        "parties",
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
        self.at = ensure_utc(event.occurred_at, field="occurred_at")
        self.parties: dict[str, str | None] = {r: party_id(event, r) for r in PARTY_ROLES}
        self.memo: dict[str, object] = {}
        """Scratch space for values several providers derive from the same inputs."""
        self._profiles: dict[str, PartyProfile | None] = {}
        self._windows: dict[tuple[HistoryKey, frozenset[str] | None], _Fetched] = {}
        self._values: dict[tuple[HistoryKey, str], Mapping[str, tuple[datetime, datetime]]] = {}
        self._entries: tuple[ListEntry, ...] | None = None

    async def prepare(self, needs: Collection[str]) -> None:
        """Fetch what the facts about to be computed need (idempotent)."""
        if "profiles" in needs or "lists" in needs:
            for user in self.parties.values():
                await self.profile(user)
        if "lists" in needs and self._entries is None:
            self._entries = await self.sources.lists.active_matches(self.identifiers(), self.at)

    def party(self, role: str) -> str | None:
        """The user id in ``role`` (``payer``, ``payee``, ``actor``)."""
        return self.parties.get(role)

    async def profile(self, user: str | None) -> PartyProfile | None:
        """The profile of ``user`` as of the event (any user, fetched on demand)."""
        if user is None:
            return None
        if user not in self._profiles:
            self._profiles[user] = await self.sources.profiles.profile_as_of(user, self.at)
        return self._profiles[user]

    def profile_of(self, role: str) -> PartyProfile | None:
        """The prepared profile of the party in ``role``.

        Raises:
            NotPreparedError: profiles were not prepared.
        """
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
        ``None``, the event's own identifier attributes and every party's.
        """
        if role is None:
            found = {
                identifier(kind, v)
                for name, kind in _EVENT_IDENTIFIERS.items()
                if isinstance(v := self.event.attributes.get(name), str) and v
            }
            for each in PARTY_ROLES:
                found |= self.identifiers(each)
            return frozenset(found)
        user = self.parties.get(role)
        if user is None:
            return frozenset()
        profile = self.profile_of(role)
        mine = profile.identifiers if profile else frozenset({identifier(ListKind.USER, user)})
        if role != "actor":
            return mine
        extra = {
            identifier(kind, v)
            for name, kind in _ACTOR_IDENTIFIERS.items()
            if isinstance(v := self.event.attributes.get(name), str) and v
        }
        return mine | extra if extra else mine

    def list_entries(self) -> tuple[ListEntry, ...]:
        """Prepared list entries active at the event's time matching any of its identifiers.

        Raises:
            NotPreparedError: lists were not prepared.
        """
        if self._entries is None:
            raise NotPreparedError("lists were not prepared")
        return self._entries

    async def since(
        self, key: HistoryKey, since: datetime | None, kinds: frozenset[str] | None = None
    ) -> Sequence[RiskEvent]:
        """History events under ``key`` with ``since <= occurred_at <`` the event's time.

        The widest window fetched per key and kinds is kept; narrower ones are cut from it, so
        the several windows the rules read over one party cost one query.
        """
        fetched = self._windows.get((key, kinds))
        if fetched is not None and fetched.covers(since):
            return fetched.cut(since)
        events = await self.sources.history.events(
            key, since=since, until=self.at, kinds=kinds, recorded_before=self.recorded_before
        )
        self._windows[key, kinds] = _Fetched(since, events)
        return events

    async def window(
        self, key: HistoryKey, seconds: int | None, kinds: frozenset[str] | None = None
    ) -> Sequence[RiskEvent]:
        """History events under ``key`` in the last ``seconds`` (all of history if ``None``)."""
        since = None if seconds is None else self.at - timedelta(seconds=seconds)
        return await self.since(key, since, kinds)

    async def values_used(
        self, key: HistoryKey, attribute: str, seconds: int | None
    ) -> dict[str, datetime]:
        """Distinct ``attribute`` values under ``key`` used in the last ``seconds`` (or ever).

        Each maps to its first use ever (before the event). The index is read once per key
        and attribute; every window is cut from it by last use.
        """
        cache_key = (key, attribute)
        found = self._values.get(cache_key)
        if found is None:
            found = await self.sources.history.values_used(
                key, attribute, until=self.at, recorded_before=self.recorded_before
            )
            self._values[cache_key] = found
        if seconds is None:
            return {value: first for value, (first, _) in found.items()}
        since = self.at - timedelta(seconds=seconds)
        return {value: first for value, (first, last) in found.items() if last >= since}

    def cap_minor(self, level: int) -> int | None:
        """The monthly cap of KYC ``level`` on the event's date (cached per event)."""
        key = f"cap:{level}"
        if key not in self.memo:
            self.memo[key] = self.settings.cap_minor(level, self.at)
        cap = self.memo[key]
        return cap if isinstance(cap, int) else None

    def month_start(self) -> datetime:
        """Start of the event's local calendar month (cached per event)."""
        start = self.memo.get("month_start")
        if not isinstance(start, datetime):
            start = self.memo["month_start"] = self.settings.month_start(self.at)
        return start

    def is_current(self, kind: str, role: str, user: str | None) -> bool:
        """Whether the event itself is a ``kind`` event with ``user`` in ``role``."""
        return user is not None and self.event.kind == kind and self.parties.get(role) == user
