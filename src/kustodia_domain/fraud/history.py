"""The screened-event history: what was screened, what was decided, and how to query it by time.

Every screened event is appended with its decision (and the shadow rulesets' decisions) under a
sequence number. Features read the history *as of* an event: only events that occurred strictly
before it, and, when replaying, only events recorded before it. That makes a replay of the past
reproduce the decisions that were made then, even when events arrived late.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from kustodia_domain.fraud.lists import ListKind, normalize_identifier
from kustodia_domain.fraud.screening import RiskDecision, RiskEvent
from kustodia_domain.fraud.vocabulary import (
    PAYOUT_CLABE_ATTRIBUTES,
)

HistoryKey = tuple[str, str]
"""``(dimension, value)``: ``("payer", user_id)``, ``("escrow", id)``, ``("device", fp)`` ..."""

_INDEXED_ATTRIBUTES: tuple[tuple[str, str, ListKind], ...] = (
    ("device", "device", ListKind.DEVICE),
    ("ip", "ip", ListKind.IP),
    ("rfc", "rfc", ListKind.RFC),
    ("curp", "curp", ListKind.CURP),
    *((name, "clabe", ListKind.CLABE) for name in PAYOUT_CLABE_ATTRIBUTES),
)
"""``(attribute, dimension, kind)``: identifier attributes indexed under their normalised value."""


def pair_value(payer: str, payee: str) -> str:
    """The value of the ``pair`` dimension for a payer and a payee (directed)."""
    return f"{payer}>{payee}"


def history_keys(event: RiskEvent) -> frozenset[HistoryKey]:
    """Every key ``event`` is indexed under: its parties by role, escrow, pair, identifiers.

    Adapters call this when they append, so the index and the features agree on the dimensions.
    """
    attributes = event.attributes
    keys: set[HistoryKey] = set()
    if event.actor_id:
        keys.add(("actor", event.actor_id))
    if event.escrow_id:
        keys.add(("escrow", event.escrow_id))
    payer, payee = attributes.get("payer_id"), attributes.get("payee_id")
    if isinstance(payer, str) and payer:
        keys.add(("payer", payer))
    if isinstance(payee, str) and payee:
        keys.add(("payee", payee))
        if isinstance(payer, str) and payer:
            keys.add(("pair", pair_value(payer, payee)))
    for name, dimension, kind in _INDEXED_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            keys.add((dimension, normalize_identifier(kind, value)))
    evidence = attributes.get("evidence_sha256")
    if isinstance(evidence, str) and evidence:
        keys.add(("evidence", evidence.lower()))
    return frozenset(keys)


VALUE_ATTRIBUTES: tuple[str, ...] = ("device", "ip")
"""Attributes whose distinct values per actor the history indexes (see ``values_used``)."""


def history_values(event: RiskEvent) -> tuple[tuple[HistoryKey, str, str], ...]:
    """The ``(key, attribute, value)`` triples ``event`` adds to the index of values used."""
    if not event.actor_id:
        return ()
    key = ("actor", event.actor_id)
    found: list[tuple[HistoryKey, str, str]] = []
    for name in VALUE_ATTRIBUTES:
        value = event.attributes.get(name)
        if isinstance(value, str) and value:
            found.append((key, name, value))
    return tuple(found)


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """One screened event, its decision and the shadow decisions, in recording order.

    ``sequence`` is assigned by the history when the entry is appended (0-based, increasing).
    """

    event: RiskEvent
    decision: RiskDecision
    shadow: tuple[RiskDecision, ...] = ()
    sequence: int = 0


class RiskHistory(Protocol):
    """Append-only store of screened events with point-in-time queries.

    Implementations keep every event immutable once appended (later changes to the caller's
    objects never reach the store).
    """

    @abstractmethod
    async def append(
        self,
        event: RiskEvent,
        decision: RiskDecision,
        shadow: tuple[RiskDecision, ...] = (),
    ) -> HistoryEntry:
        """Append ``event`` with its decisions and return the stored entry with its sequence."""

    @abstractmethod
    async def entry(self, event_id: str) -> HistoryEntry | None:
        """The entry of ``event_id``, or ``None`` if it was never screened."""

    @abstractmethod
    async def entries(self) -> Sequence[HistoryEntry]:
        """Every entry in recording (sequence) order."""

    @abstractmethod
    async def events(
        self,
        key: HistoryKey,
        *,
        until: datetime,
        since: datetime | None = None,
        kinds: frozenset[str] | None = None,
        recorded_before: int | None = None,
    ) -> Sequence[RiskEvent]:
        """Events indexed under ``key`` with ``since <= occurred_at < until``, oldest first.

        Args:
            key: the dimension and value (see :func:`history_keys`).
            until: exclusive upper bound, the time of the event being screened.
            since: inclusive lower bound; ``None`` means from the beginning.
            kinds: only these event kinds; ``None`` means all.
            recorded_before: only entries whose sequence is lower (replays); ``None`` means all.
        """

    @abstractmethod
    async def values_used(
        self,
        key: HistoryKey,
        attribute: str,
        *,
        until: datetime,
        since: datetime | None = None,
        recorded_before: int | None = None,
    ) -> Mapping[str, tuple[datetime, datetime]]:
        """Distinct values of ``attribute`` on events under ``key`` in ``[since, until)``.

        Each value maps to the first and the last time it was used in that window. Only the
        triples :func:`history_values` produces are indexed (devices and IPs per actor);
        anything else has no values. Same window and replay semantics as :meth:`events`.
        """
