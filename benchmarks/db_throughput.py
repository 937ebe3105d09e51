"""Escrow releases per second through the use cases on PostgreSQL, with pgbench as the baseline.

Method. A scratch database (``kustodia_bench_<random>``) is created on the server named by
``--admin-url`` and migrated to head; it is dropped at the end. Before each level, escrows are
opened and funded through the use cases (not timed): ``standard``, MXN 2,500.00 all in
custody, one broker commission, spread over ``--parties`` distinct payer/payee/broker triples,
so that a release is a four-leg ledger transaction (custody to the payee's and to the broker's
payables), two payouts with their outbox messages, a screening record, notifications and
events. The timed operation is the hot path of a release: ``approve_release`` by the payer on
a funded escrow, one unit of work. ``N`` workers (asyncio tasks, each unit on its own pooled
connection) release distinct escrows as fast as they can, in ``P`` processes (``N / P``
workers each, every process with its own engine and a warm-up of its own first). Latency is
per release; SQL statements are counted over the timed phase with SQLAlchemy's
``before_cursor_execute`` event, which the statements the adapters send straight through
asyncpg (``kustodia_adapters.sql.direct``) announce too; ``BEGIN`` and ``COMMIT``, when a unit
needs them, are sent by the driver and come on top. The risk
screen lets everything through: the rule engine has a benchmark of its own
(``docs/benchmarks-fraud.md``), and this one measures persistence.

Baseline, in the same run and on the same server: ``pgbench -i -s 10`` on a second scratch
database, then, right after each level, ``pgbench -c N -j 2 -T <seconds>`` (the built-in
tpcb-like script: five statements in a transaction). The ratio is releases/s over pgbench TPS at
the same ``N``, measured back to back.

With ``--waits``, a thread of the parent process (idle while a level runs) reads
``pg_stat_activity`` every few milliseconds and reports, per level, how many of the benchmark's
server backends were, on average, idle (waiting for the application), on the CPU, or waiting,
by wait event: whether the server or the application limits the level. Only samples with at
least one active backend count.

Usage: ``python benchmarks/db_throughput.py [--workers 1,4,8,16] [--processes 1,2]
[--releases 4000] [--pgbench-seconds 20] [--waits] [--admin-url postgresql+asyncpg://...]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import attrs
from sqlalchemy import URL, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kustodia_adapters.in_memory.ids import SequentialIdGenerator
from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.sql.engine import create_engine
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.identity.model import User
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.bootstrap.migrations import upgrade
from kustodia_entrypoints.bootstrap.sql import SqlKustodia, build_sql

ADMIN_URL = os.environ.get(
    "KUSTODIA_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SOURCE = "012180012345678909"
SETUP_CONCURRENCY = 8
WARM_UP = 100
"""Releases each process runs before the timed phase: connections, compiled statements."""

Release = tuple[str, str]
"""An escrow to release and its payer."""


@attrs.frozen
class Parties:
    payer: UserId
    payee: UserId
    broker: UserId
    payee_email: str
    broker_email: str


@attrs.frozen
class Share:
    """What one process measured."""

    latencies: list[float]
    statements: int
    started: float
    ended: float


@attrs.frozen
class Level:
    processes: int
    workers: int
    releases: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statements: int

    @property
    def rate(self) -> float:
        return self.releases / self.seconds

    @property
    def statements_per_release(self) -> float:
        return self.statements / self.releases

    @classmethod
    def of(cls, processes: int, workers: int, shares: list[Share]) -> Level:
        latencies = sorted(latency for share in shares for latency in share.latencies)
        return cls(
            processes=processes,
            workers=workers,
            releases=len(latencies),
            seconds=max(s.ended for s in shares) - min(s.started for s in shares),
            p50_ms=statistics.median(latencies) * 1e3,
            p99_ms=latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1e3,
            statements=sum(share.statements for share in shares),
        )


# ---------------------------------------------------------------- scratch databases
async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def scratch_database(admin_url: str, label: str) -> Iterator[URL]:
    """A new database next to ``admin_url``'s, dropped when the block ends."""
    name = f"kustodia_bench_{secrets.token_hex(4)}_{label}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ---------------------------------------------------------------- setting up, not timed
@asynccontextmanager
async def _application(
    url: URL, pool_size: int, *, sequential: bool = False
) -> AsyncIterator[SqlKustodia]:
    """The use cases over ``url``; the screen lets everything through (module docstring).

    ``sequential`` ids for the set-up: one process opens every escrow, and no random
    reference can collide. The timed processes use random ids: their notifications must not
    collide across processes.
    """
    engine = create_engine(url, pool_size=pool_size, max_overflow=0)
    ids = SequentialIdGenerator() if sequential else None
    try:
        yield build_sql(engine, ids=ids, risk=AllowAllRiskScreen())
    finally:
        await engine.dispose()


async def _parties(app: SqlKustodia, count: int) -> list[Parties]:
    """``count`` distinct (payer, payee, broker) triples, each with its own payout CLABE."""
    uc = app.use_cases
    triples = []
    for n in range(count):
        users: list[User] = []
        for role in ("payer", "payee", "broker"):
            user = await uc.register_user.execute(
                RegisterUser(email=f"{role}{n}@example.mx", full_name=f"{role.title()} {n}")
            )
            clabe = Clabe.build("002", "180", str(10_000 + 3 * n + len(users))).value
            await uc.set_payout_account.execute(
                SetPayoutAccount(user_id=user.id, clabe=clabe, holder_name=user.full_name)
            )
            users.append(user)
        payer, payee, broker = users
        triples.append(Parties(payer.id, payee.id, broker.id, payee.email, broker.email))
    return triples


async def _funded_escrow(app: SqlKustodia, parties: Parties, n: int) -> Release:
    uc = app.use_cases
    escrow = await uc.open_escrow.execute(
        OpenEscrow(
            creator_id=parties.payer, kind=EscrowKind.STANDARD, creator_role=CreatorRole.PAYER,
            counterparty_email=parties.payee_email, amount_minor=250_000, currency="MXN",
            custody_percent=100, custody_days=5, description="bench",
            commissions=((parties.broker_email, 500),),
        )
    )  # fmt: skip
    await uc.record_deposit.execute(
        RecordDeposit(
            tracking_key=f"T{n}", clabe=escrow.deposit_clabe.value, reference=escrow.reference,
            amount_minor=escrow.amount_due.amount_minor, currency="MXN", source_clabe=SOURCE,
            sender_name="Payer", received_at=app.clock.now(),
        )
    )  # fmt: skip
    return escrow.id, parties.payer


async def _prepare(
    app: SqlKustodia, parties: list[Parties], count: int, first: int
) -> list[Release]:
    """``count`` funded escrows, spread over the parties."""
    numbers = iter(range(first, first + count))
    funded: list[Release] = []

    async def worker() -> None:
        for n in numbers:
            release = await _funded_escrow(app, parties[n % len(parties)], n)
            funded.append(release)

    await asyncio.gather(*(worker() for _ in range(SETUP_CONCURRENCY)))
    return funded


# ---------------------------------------------------------------- releasing, timed
@contextmanager
def _counting(engine: AsyncEngine) -> Iterator[list[int]]:
    """Statements sent, through SQLAlchemy or straight through asyncpg (announced alike)."""
    count = [0]

    def record(*_: Any) -> None:
        count[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield count
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _release(app: SqlKustodia, escrows: list[Release], workers: int) -> list[float]:
    pending = iter(escrows)
    latencies: list[float] = []
    approve = app.use_cases.approve_release

    async def worker() -> None:
        for escrow_id, payer in pending:
            start = time.perf_counter()
            await approve.execute(ApproveRelease(escrow_id=escrow_id, actor_id=UserId(payer)))
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return latencies


async def _measure_share(
    url: URL, warm: list[Release], timed: list[Release], workers: int, barrier: Any
) -> Share:
    async with _application(url, workers) as app:
        await _release(app, warm, workers)
        # Every process starts timing together (perf_counter is system-wide on Linux).
        await asyncio.to_thread(barrier.wait)
        with _counting(app.engine) as statements:
            started = time.perf_counter()
            latencies = await _release(app, timed, workers)
            ended = time.perf_counter()
    return Share(latencies, statements[0], started, ended)


def _share_in_process(
    url: str, warm: list[Release], timed: list[Release], workers: int, barrier: Any
) -> Share:
    return asyncio.run(_measure_share(make_url(url), warm, timed, workers, barrier))


def measure_level(
    url: URL, processes: int, workers: int, warm: list[Release], timed: list[Release]
) -> Level:
    """Release ``timed`` with ``workers`` spread over ``processes`` fresh processes."""
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(processes, context) as pool:
        barrier = manager.Barrier(processes)
        dsn = url.render_as_string(hide_password=False)
        futures = [
            pool.submit(
                _share_in_process,
                dsn,
                warm[n::processes],
                timed[n::processes],
                workers // processes,
                barrier,
            )
            for n in range(processes)
        ]
        return Level.of(processes, workers, [future.result() for future in futures])


async def _setup(
    url: URL, runs: list[tuple[int, int]], count: int, parties: int
) -> list[tuple[list[Release], list[Release]]]:
    """For each run: warm-up escrows for each of its processes, and ``count`` to time."""
    batches = []
    async with _application(url, SETUP_CONCURRENCY, sequential=True) as app:
        triples = await _parties(app, parties)
        for number, (processes, _) in enumerate(runs, start=1):
            first = number * 1_000_000
            warm = await _prepare(app, triples, WARM_UP * processes, first=first)
            timed = await _prepare(app, triples, count, first=first + WARM_UP * processes)
            batches.append((warm, timed))
    return batches


def measure_releases(
    url: URL,
    runs: list[tuple[int, int]],
    releases: int,
    parties: int,
    baseline: Callable[[int], float | None],
    *,
    waits: bool = False,
) -> list[tuple[Level, float | None, Waits]]:
    """Release ``releases`` funded escrows for each (processes, workers) in ``runs``.

    ``baseline(workers)`` runs right after each level, so that a level and its baseline see the
    machine in the same state (on a shared machine, pgbench's TPS moves by a factor of two or
    more over a few minutes). With ``waits``, the server's backends are sampled during each
    level (:func:`sampling_waits`).
    """
    batches = asyncio.run(_setup(url, runs, releases, parties))
    results = []
    for (processes, workers), (warm, timed) in zip(runs, batches, strict=True):
        with sampling_waits(url, enabled=waits) as sampled:
            level = measure_level(url, processes, workers, warm, timed)
        results.append((level, baseline(workers), sampled))
    return results


# ---------------------------------------------------------------- where the server waits
WAIT_SAMPLE_S = 0.003
_BACKENDS = """
    SELECT state, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS doing
    FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND datname = $1 AND pid <> pg_backend_pid()
"""


@attrs.define
class Waits:
    """What the benchmark's backends were doing, summed over the samples with one active."""

    samples: int = 0
    counts: Counter[str] = attrs.field(factory=Counter)

    def summary(self) -> str:
        if not self.samples:
            return "no sample with an active backend"
        means = [f"{n / self.samples:.3f} {doing}" for doing, n in self.counts.most_common()]
        return f"{self.samples} samples; backends on average: " + ", ".join(means)


async def _sample(dsn: str, database: str, stop: threading.Event, waits: Waits) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        while not stop.is_set():
            rows = await connection.fetch(_BACKENDS, database)
            if any(row["state"] == "active" for row in rows):
                waits.samples += 1
                for row in rows:
                    waits.counts[row["doing"] if row["state"] == "active" else "idle"] += 1
            await asyncio.sleep(WAIT_SAMPLE_S)
    finally:
        await connection.close()


@contextmanager
def sampling_waits(url: URL, *, enabled: bool) -> Iterator[Waits]:
    """Sample ``url``'s backends in a thread while the block runs (nothing unless ``enabled``)."""
    waits = Waits()
    if not enabled:
        yield waits
        return
    stop = threading.Event()
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    thread = threading.Thread(
        target=lambda: asyncio.run(_sample(dsn, str(url.database), stop, waits)), daemon=True
    )
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join()


# ---------------------------------------------------------------- the pgbench baseline
def _pgbench_args(url: URL) -> list[str]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    if url.username:
        args += ["-U", url.username]
    return args


@contextmanager
def pgbench_baseline(admin_url: str, seconds: int, scale: int) -> Iterator[Callable[[int], float]]:
    """A scratch database initialised for pgbench; the function runs tpcb-like at N clients."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise SystemExit("pgbench is not on PATH (Debian: apt-get install postgresql-client)")
    with scratch_database(admin_url, "pgbench") as url:
        environment = {**os.environ, "PGPASSWORD": url.password or ""}
        base = [pgbench, *_pgbench_args(url)]
        subprocess.run(  # noqa: S603 - our own arguments
            [*base, "-i", "-s", str(scale), "-q", str(url.database)],
            check=True,
            capture_output=True,
            env=environment,
        )

        def tps(clients: int) -> float:
            run = subprocess.run(  # noqa: S603
                [*base, "-c", str(clients), "-j", "2", "-T", str(seconds), str(url.database)],
                check=True,
                capture_output=True,
                text=True,
                env=environment,
            )
            found = re.search(r"tps = ([\d.]+)", run.stdout)
            if found is None:
                raise SystemExit(f"unexpected pgbench output:\n{run.stdout}\n{run.stderr}")
            return float(found.group(1))

        yield tps


def _server_version(admin_url: str) -> str:
    async def read() -> str:
        engine = create_async_engine(admin_url)
        try:
            async with engine.connect() as connection:
                return str((await connection.execute(text("SHOW server_version"))).scalar())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _numbers(value: str) -> list[int]:
    return [int(n) for n in value.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=_numbers, default=[1, 4, 8, 16])
    parser.add_argument("--processes", type=_numbers, default=[1, 2])
    parser.add_argument("--releases", type=int, default=4_000, help="timed releases per run")
    parser.add_argument("--parties", type=int, default=100, help="payer/payee/broker triples")
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--skip-pgbench", action="store_true")
    parser.add_argument(
        "--waits", action="store_true", help="sample what the server's backends wait for"
    )
    parser.add_argument("--admin-url", default=ADMIN_URL)
    args = parser.parse_args()
    runs = [(p, n) for p in args.processes for n in args.workers if n >= p]

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, PostgreSQL {_server_version(args.admin_url)}"
    )
    with ExitStack() as stack:
        baseline: Callable[[int], float | None] = lambda _workers: None  # noqa: E731
        if not args.skip_pgbench:
            baseline = stack.enter_context(
                pgbench_baseline(args.admin_url, args.pgbench_seconds, args.pgbench_scale)
            )
        url = stack.enter_context(scratch_database(args.admin_url, "kustodia"))
        upgrade(url.render_as_string(hide_password=False))
        results = measure_releases(
            url, runs, args.releases, args.parties, baseline, waits=args.waits
        )

    print(
        f"{'processes':>9} | {'workers':>7} | {'releases/s':>10} | {'p50 ms':>7} | "
        f"{'p99 ms':>7} | {'stmts/release':>13} | {'pgbench TPS':>11} | {'ratio':>5}"
    )
    for level, tps, _ in results:
        ratio = f"{level.rate / tps:5.2f}" if tps else f"{'-':>5}"
        pgbench = f"{tps:11,.0f}" if tps else f"{'-':>11}"
        print(
            f"{level.processes:>9} | {level.workers:>7} | {level.rate:>10,.0f} | "
            f"{level.p50_ms:>7.2f} | {level.p99_ms:>7.2f} | "
            f"{level.statements_per_release:>13.1f} | {pgbench} | {ratio}"
        )
    if args.waits:
        for level, _, sampled in results:
            print(f"{level.processes} x {level.workers // level.processes}: {sampled.summary()}")


if __name__ == "__main__":
    main()
