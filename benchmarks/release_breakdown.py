"""What each kind of record a release writes costs it, on PostgreSQL: a diagnostic.

Method. The set-up and the timed operation are those of ``db_throughput.py`` (``approve_release``
by the payer on a funded escrow, ``N`` asyncio workers in one process, one pooled connection
each). The same release is measured in five variants, in interleaved rounds so that each
variant sees the machine's phases alike:

* ``full``: what the product writes (the baseline of every ratio);
* ``no e-mail``: without the ``email.send`` outbox messages;
* ``no notifications``: without the notifications either;
* ``no events``: without the event log's rows (everything else written);
* ``ledger only``: without events, notifications or any outbox message, that is the escrow
  update, the settlement, the payouts and the ledger transaction.

The variants drop records at the unit of work's ports (a wrapper around the SQL repositories
that forwards everything but the dropped writes), so they are not product options: the
released escrows have no payout messages to dispatch in the last variant. They locate the cost.
Per variant: the median rate over the rounds; the median over the rounds of its rate divided by
``full``'s in the same round (the machine's speed drifts from round to round, and each round
measures every variant back to back); the benchmark process's CPU per release
(``time.process_time``); and the WAL bytes written per release (``pg_current_wal_lsn``,
server-wide: nothing else should run).

Usage, from the repository's root: ``python -m benchmarks.release_breakdown
[--workers 8] [--releases 1500] [--rounds 3]
[--admin-url postgresql+asyncpg://...]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import attrs
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine

import kustodia_entrypoints.bootstrap.sql as composition
from benchmarks.db_throughput import (
    ADMIN_URL,
    Release,
    _application,
    _release,
    _setup,
    scratch_database,
)
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.services.email_outbox import EMAIL_TOPIC
from kustodia_entrypoints.bootstrap.migrations import upgrade


@attrs.frozen
class Variant:
    name: str
    emails: bool = True
    notifications: bool = True
    events: bool = True
    outbox: bool = True


PARTIES = 100
"""Payer/payee/broker triples the escrows are spread over (``db_throughput.py``'s default)."""

VARIANTS = (
    Variant("full"),
    Variant("no e-mail", emails=False),
    Variant("no notifications", emails=False, notifications=False),
    Variant("no events", events=False),
    Variant("ledger only", emails=False, notifications=False, events=False, outbox=False),
)


class _Dropping:
    """A repository that forwards every call but the writes ``keep`` refuses."""

    def __init__(self, inner: Any, write: str, keep: Callable[[Any], bool]) -> None:
        self._inner, self._write, self._keep = inner, write, keep

    def __getattr__(self, name: str) -> Any:
        if name != self._write:
            return getattr(self._inner, name)
        forward = getattr(self._inner, name)

        async def write(item: Any) -> None:
            if self._keep(item):
                await forward(item)

        return write


def _unit_of_work(variant: Variant) -> type[SqlUnitOfWork]:
    def keeps(message: OutboxMessage) -> bool:
        return variant.outbox and (variant.emails or message.topic != EMAIL_TOPIC)

    class Diagnostic(SqlUnitOfWork):
        def __init__(self, engine: AsyncEngine) -> None:
            super().__init__(engine)
            self.outbox = _Dropping(self.outbox, "add", keeps)  # type: ignore[assignment]
            self.notifications = _Dropping(  # type: ignore[assignment]
                self.notifications, "add", lambda _: variant.notifications
            )
            self.events = _Dropping(  # type: ignore[assignment]
                self.events, "append", lambda _: variant.events
            )

    return Diagnostic


@asynccontextmanager
async def _variant(variant: Variant) -> AsyncIterator[None]:
    """Compositions built inside the block use ``variant``'s unit of work."""
    # The composition looks the class up when it opens a unit, so swapping its name suffices.
    names = vars(composition)
    original = names["SqlUnitOfWork"]
    names["SqlUnitOfWork"] = _unit_of_work(variant)
    try:
        yield
    finally:
        names["SqlUnitOfWork"] = original


@attrs.frozen
class Round:
    rate: float
    cpu_ms: float
    wal_bytes: float


async def _wal(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"))).one()
    return int(row[0])


async def _round(
    url: URL, variant: Variant, warm: list[Release], timed: list[Release], workers: int
) -> Round:
    async with _variant(variant), _application(url, workers) as app:
        await _release(app, warm, workers)
        size = await _wal(app.engine)
        started, cpu = time.perf_counter(), time.process_time()
        await _release(app, timed, workers)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size_after = await _wal(app.engine)
    n = len(timed)
    return Round(n / seconds, cpu / n * 1e3, (size_after - size) / n)


async def measure(url: URL, workers: int, releases: int, rounds: int) -> dict[str, list[Round]]:
    order = [variant for _ in range(rounds) for variant in VARIANTS]
    batches = await _setup(url, [(1, workers)] * len(order), releases, PARTIES)
    measured: dict[str, list[Round]] = {variant.name: [] for variant in VARIANTS}
    for variant, (warm, timed) in zip(order, batches, strict=True):
        measured[variant.name].append(await _round(url, variant, warm, timed, workers))
    return measured


def _median(rounds: Iterable[Round], field: str) -> float:
    return float(statistics.median(getattr(r, field) for r in rounds))


def report(measured: dict[str, list[Round]], names: Sequence[str]) -> None:
    full = measured["full"]
    print(
        f"{'variant':<17} | {'releases/s':>10} | {'ratio':>5} | {'Python CPU ms':>13} | "
        f"{'WAL bytes':>9} | rounds (releases/s)"
    )
    for name in names:
        rounds = measured[name]
        ratio = statistics.median(r.rate / f.rate for r, f in zip(rounds, full, strict=True))
        each = ", ".join(f"{r.rate:,.0f}" for r in rounds)
        print(
            f"{name:<17} | {_median(rounds, 'rate'):>10,.0f} | {ratio:>5.2f} | "
            f"{_median(rounds, 'cpu_ms'):>13.2f} | {_median(rounds, 'wal_bytes'):>9,.0f} | {each}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--releases", type=int, default=1_500, help="timed releases per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    args = parser.parse_args()
    with scratch_database(args.admin_url, "breakdown") as url:
        upgrade(url.render_as_string(hide_password=False))
        measured = asyncio.run(measure(url, args.workers, args.releases, args.rounds))
    report(measured, [variant.name for variant in VARIANTS])


if __name__ == "__main__":
    main()
