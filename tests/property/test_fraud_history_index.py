"""The in-memory history's indexes answer exactly what a plain scan of its entries would.

Events are appended in any order (late arrivals, several at the same moment), then every window
query (key, since, until, kinds, recorded before) and every values-used query is checked against
a scan of the recorded entries: indexed under the key, in the window, of the kinds, recorded
before, in time order with ties in recording order.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from kustodia_adapters.in_memory.fraud import InMemoryRiskHistory
from kustodia_domain.fraud.history import HistoryKey, history_keys, history_values
from kustodia_domain.fraud.screening import Outcome, RiskDecision, RiskEvent

T0 = datetime(2026, 3, 1, tzinfo=UTC)
KINDS = ("escrow.create", "escrow.fund", "release", "payout", "dispute.opened")
USERS = ("u1", "u2", "u3")


@attrs.frozen
class Query:
    key: HistoryKey
    since: datetime | None
    until: datetime
    kinds: frozenset[str] | None
    recorded_before: int | None


@st.composite
def events(draw: st.DrawFn) -> list[RiskEvent]:
    found: list[RiskEvent] = []
    for number in range(draw(st.integers(1, 25))):
        attributes = {"payer_id": draw(st.sampled_from(USERS))}
        attributes["payee_id"] = draw(st.sampled_from(USERS))
        for name, choices in (("device", ("d1", "d2")), ("ip", ("i1", "i2", "i3"))):
            if draw(st.booleans()):
                attributes[name] = draw(st.sampled_from(choices))
        found.append(
            RiskEvent(
                event_id=f"e{number}",
                kind=draw(st.sampled_from(KINDS)),
                # Few distinct minutes, in any order: late arrivals, many events at one moment.
                occurred_at=T0 + timedelta(minutes=draw(st.integers(0, 8))),
                actor_id=draw(st.sampled_from((*USERS, None))),
                escrow_id=draw(st.sampled_from(("x1", "x2", None))),
                attributes=attributes,
            )
        )
    return found


def _minute(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@st.composite
def queries(draw: st.DrawFn, recorded: list[RiskEvent]) -> list[Query]:
    keys = sorted({key for event in recorded for key in history_keys(event)})
    keys.append(("payer", "nobody"))
    return [
        Query(
            key=draw(st.sampled_from(keys)),
            since=draw(st.one_of(st.none(), st.integers(-1, 10).map(_minute))),
            until=_minute(draw(st.integers(0, 10))),
            kinds=draw(st.one_of(st.none(), st.frozensets(st.sampled_from(KINDS), max_size=3))),
            recorded_before=draw(st.one_of(st.none(), st.integers(0, len(recorded)))),
        )
        for _ in range(draw(st.integers(1, 15)))
    ]


def _scan(recorded: list[RiskEvent], query: Query) -> list[RiskEvent]:
    rows = [
        (event.occurred_at, sequence, event)
        for sequence, event in enumerate(recorded)
        if query.key in history_keys(event)
        and (query.since is None or query.since <= event.occurred_at)
        and event.occurred_at < query.until
        and (query.kinds is None or event.kind in query.kinds)
        and (query.recorded_before is None or sequence < query.recorded_before)
    ]
    return [event for _, _, event in sorted(rows, key=lambda row: row[:2])]


def _values_scan(
    recorded: list[RiskEvent], query: Query, attribute: str
) -> dict[str, tuple[datetime, datetime]]:
    used: dict[str, tuple[datetime, datetime]] = {}
    for event in _scan(recorded, attrs.evolve(query, kinds=None)):
        for key, name, value in history_values(event):
            if key == query.key and name == attribute:
                at = event.occurred_at
                first, last = used.get(value, (at, at))
                used[value] = (min(first, at), max(last, at))
    return used


@given(st.data())
def test_every_window_and_values_query_matches_a_scan_of_the_entries(data: st.DataObject) -> None:
    recorded = data.draw(events())
    asked = data.draw(queries(recorded))

    async def run() -> None:
        history = InMemoryRiskHistory()
        for event in recorded:
            decision = RiskDecision(event_id=event.event_id, outcome=Outcome.ALLOW)
            await history.append(event, decision)
        for query in asked:
            found = await history.events(
                query.key,
                since=query.since,
                until=query.until,
                kinds=query.kinds,
                recorded_before=query.recorded_before,
            )
            assert [e.event_id for e in found] == [e.event_id for e in _scan(recorded, query)]
            for attribute in ("device", "ip"):
                used = await history.values_used(
                    query.key,
                    attribute,
                    until=query.until,
                    since=query.since,
                    recorded_before=query.recorded_before,
                )
                assert dict(used) == _values_scan(recorded, query, attribute)

    asyncio.run(run())
