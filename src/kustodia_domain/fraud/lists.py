"""Blocklists, watchlists and external lists (UIF, SAT 69-B, PEP), with reasons and expiry.

Entries are never deleted: removing one records ``removed_at``, so a replay of the past sees the
lists as they were. An entry is active at ``t`` when ``added_at <= t`` and ``t`` is before both
its expiry and its removal.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

import attrs

from kustodia_domain.fraud.names import normalize_name
from kustodia_domain.shared.errors import ValidationError

_PHONE_DIGITS = 10  # Mexican national numbers; a +52 prefix is dropped


class ListName(StrEnum):
    """Which list an entry belongs to."""

    BLOCKLIST = "blocklist"
    WATCHLIST = "watchlist"
    UIF_BLOCKED = "uif_blocked"
    SAT_69B_DEFINITIVE = "sat_69b_definitive"
    SAT_69B_PRESUMED = "sat_69b_presumed"
    PEP = "pep"


class ListKind(StrEnum):
    """What kind of identifier an entry holds."""

    EMAIL = "email"
    CLABE = "clabe"
    RFC = "rfc"
    CURP = "curp"
    IP = "ip"
    DEVICE = "device"
    PHONE = "phone"
    USER = "user"
    NAME = "name"


_ALPHANUMERIC = frozenset({ListKind.RFC, ListKind.CURP})


@lru_cache(maxsize=65_536)
def normalize_identifier(kind: ListKind, value: str) -> str:
    """The canonical spelling of an identifier, used both in entries and in lookups.

    Cached: the screen normalises the same devices, IPs, RFCs and CLABEs with every event of a
    party, when it looks them up in the lists and again when the history indexes the event.
    Kinds are compared by value, so a kind spelled as a plain string (``"email"``) normalises
    like its ``ListKind`` and both can share one cache entry.
    """
    text = value.strip()
    if kind == ListKind.EMAIL:
        return text.casefold()
    if kind in _ALPHANUMERIC:
        return "".join(ch for ch in text.upper() if ch.isalnum())
    if kind == ListKind.PHONE:
        return "".join(ch for ch in text if ch.isdigit())[-_PHONE_DIGITS:]
    if kind == ListKind.NAME:
        return normalize_name(text)
    return text


Identifier = tuple[ListKind, str]
"""A normalised ``(kind, value)`` pair."""


@lru_cache(maxsize=65_536, typed=True)
def identifier(kind: ListKind, value: str) -> Identifier:
    """``(kind, normalize_identifier(kind, value))`` (cached, like ``normalize_identifier``)."""
    return (kind, normalize_identifier(kind, value))


def aware(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Attrs validator: a timestamp (or each timestamp of a tuple) must carry a time zone."""
    for moment in value if isinstance(value, tuple) else (value,):
        if isinstance(moment, datetime) and moment.utcoffset() is None:
            raise ValidationError("timestamps must be timezone-aware", field=attribute.name)


def _normalized(instance: ListEntry, attribute: attrs.Attribute[str], value: str) -> None:
    if not value or normalize_identifier(instance.kind, value) != value:
        raise ValidationError(
            "list values must be normalised (use ListEntry.create)", field="value"
        )


@attrs.frozen(kw_only=True)
class ListEntry:
    """One identifier on one list, with why, who, where from and until when."""

    entry_id: str
    list_name: ListName
    kind: ListKind
    value: str = attrs.field(validator=_normalized)
    reason: str
    source: str
    """Where it came from: ``internal``, ``uif``, ``sat``, a provider's name, a rule id."""
    added_by: str
    added_at: datetime = attrs.field(validator=aware)
    expires_at: datetime | None = attrs.field(default=None, validator=aware)
    removed_at: datetime | None = attrs.field(default=None, validator=aware)
    removed_by: str | None = None

    @classmethod
    def create(
        cls,
        *,
        entry_id: str,
        list_name: ListName,
        kind: ListKind,
        value: str,
        reason: str,
        source: str,
        added_by: str,
        added_at: datetime,
        expires_at: datetime | None = None,
    ) -> ListEntry:
        """Build an entry, normalising ``value`` for its ``kind``.

        Raises:
            ValidationError: the value is empty once normalised, or a time is naive.
        """
        return cls(
            entry_id=entry_id,
            list_name=list_name,
            kind=kind,
            value=normalize_identifier(kind, value),
            reason=reason,
            source=source,
            added_by=added_by,
            added_at=added_at,
            expires_at=expires_at,
        )

    def is_active(self, at: datetime) -> bool:
        """Whether the entry applies at ``at``."""
        if at < self.added_at:
            return False
        if self.expires_at is not None and at >= self.expires_at:
            return False
        return self.removed_at is None or at < self.removed_at

    def removed(self, *, at: datetime, by: str) -> ListEntry:
        """This entry, removed from ``at`` on by ``by``."""
        return attrs.evolve(self, removed_at=at, removed_by=by)


class RiskLists(Protocol):
    """Store of list entries, queried as of a moment."""

    @abstractmethod
    async def add(self, entry: ListEntry) -> None:
        """Store ``entry`` (an entry with the same id is replaced)."""

    @abstractmethod
    async def remove(self, entry_id: str, *, at: datetime, by: str) -> None:
        """Record that the entry stops applying at ``at``.

        Raises:
            NotFoundError: no entry has that id.
        """

    @abstractmethod
    async def entry(self, entry_id: str) -> ListEntry | None:
        """The entry with that id (removed or expired ones too), or ``None``."""

    @abstractmethod
    async def listed(self, list_name: ListName, at: datetime) -> tuple[ListEntry, ...]:
        """Entries of ``list_name`` active at ``at``, oldest first (ties by id)."""

    @abstractmethod
    async def active_matches(
        self, identifiers: Collection[Identifier], at: datetime
    ) -> tuple[ListEntry, ...]:
        """Entries on any list, active at ``at``, whose identifier is in ``identifiers``."""

    @abstractmethod
    async def names_sharing_tokens(
        self, tokens: Collection[str], at: datetime
    ) -> tuple[ListEntry, ...]:
        """``NAME`` entries active at ``at`` sharing at least one normalised token."""
