"""Throughput and latency of the fraud rule engine on one core.

Builds 10,000 users (versioned profiles), 1,000 list entries and a history of at least 100,000
screened events (sign-ups, escrow creations, deposits, releases, payouts, disputes, CLABE
changes), all through ``RuleEngineRiskScreen`` with the default ruleset and the in-memory
adapters. Then it screens a further batch of events one at a time, timing each call, and prints
decisions per second and the p50/p99/max latency per decision.

Run:  PYTHONPATH=src python benchmarks/fraud_engine.py [--history 100000] [--measure 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kustodia_adapters.in_memory.fraud import (
    InMemoryPartyProfiles,
    InMemoryRiskHistory,
    InMemoryRiskLists,
)
from kustodia_domain.fraud.lists import ListEntry, ListKind, ListName
from kustodia_domain.fraud.profiles import KycStatus, PartyProfile
from kustodia_domain.fraud.ruleset_files import default_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.fraud.screening import Outcome, RiskEvent
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.money import Money

START = datetime(2026, 1, 1, tzinfo=UTC)
USERS = 10_000
BANKS = ("002", "012", "014", "021", "036", "044", "072", "127", "137", "646")


class World:
    """Deterministic synthetic users and the event stream they produce."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = START
        self.sequence = 0
        self.users = [f"u{i:05d}" for i in range(USERS)]
        self.devices = {
            u: [f"dev-{u}-{k}" for k in range(self.rng.randint(1, 2))] for u in self.users
        }
        self.ips = [f"10.{i // 250}.{i % 250}.1" for i in range(5_000)]
        self.clabes = {
            u: Clabe.build(self.rng.choice(BANKS), "010", str(i)).value
            for i, u in enumerate(self.users)
        }
        self.escrow_count = 0

    def profile(self, user: str, index: int) -> PartyProfile:
        created = START - timedelta(days=self.rng.randint(1, 400))
        return PartyProfile(
            party_id=user,
            valid_from=created,
            created_at=created,
            kyc_status=KycStatus.VERIFIED if self.rng.random() < 0.9 else KycStatus.PENDING,
            kyc_level=self.rng.choice((1, 2, 2, 3, 3, 3, 4)),
            kyc_name=f"Nombre{index} Apellido{index % 977} Segundo{index % 89}",
            rfc=f"XAXX{index:06d}AB{index % 10}",
            curp=f"XEXX{index:06d}HDFRRN{index % 10:02d}",
            email=f"{user}@example.com",
            phone=f"55{index:08d}",
            payout_clabe=self.clabes[user],
            payout_clabe_changed_at=created,
            registered_clabes=(self.clabes[user],),
        )

    def _event(
        self,
        kind: str,
        actor: str | None,
        attributes: dict[str, str],
        escrow_id: str | None = None,
        amount: Money | None = None,
    ) -> RiskEvent:
        self.sequence += 1
        self.clock += timedelta(seconds=self.rng.randint(1, 60))
        return RiskEvent(
            event_id=f"e{self.sequence}",
            kind=kind,
            occurred_at=self.clock,
            actor_id=actor,
            escrow_id=escrow_id,
            amount=amount,
            attributes=attributes,
        )

    def _context(self, user: str) -> dict[str, str]:
        return {"device": self.rng.choice(self.devices[user]), "ip": self.rng.choice(self.ips)}

    def sign_ups(self) -> Iterator[RiskEvent]:
        for index, user in enumerate(self.users):
            yield self._event(
                "account.created",
                user,
                attributes={
                    "email": f"{user}@example.com",
                    "rfc": f"XAXX{index:06d}AB{index % 10}",
                    **self._context(user),
                },
            )

    def escrow(self) -> Iterator[RiskEvent]:
        payer, payee = self.rng.sample(self.users, 2)
        self.escrow_count += 1
        escrow = f"x{self.escrow_count}"
        amount = Money.mxn(
            self.rng.choice((50_000, 120_000, 350_000, 800_000, 1_500_000, 4_000_000))
        )
        parties = {"payer_id": payer, "payee_id": payee, "escrow_kind": "standard"}
        yield self._event(
            "escrow.create",
            payer,
            escrow_id=escrow,
            amount=amount,
            attributes={**parties, **self._context(payer)},
        )
        yield self._event(
            "escrow.fund",
            payer,
            escrow_id=escrow,
            amount=amount,
            attributes={
                **parties,
                "source_clabe": self.clabes[payer],
                "sender_name": f"Apellido{int(payer[1:]) % 977} Nombre{int(payer[1:])} "
                f"Segundo{int(payer[1:]) % 89}",
            },
        )
        if self.rng.random() < 0.05:
            yield self._event(
                "dispute.opened",
                payer,
                escrow_id=escrow,
                attributes={**parties, **self._context(payer)},
            )
            return
        releaser = payer if self.rng.random() < 0.7 else None
        context = self._context(payer) if releaser else {}
        yield self._event(
            "release", releaser, escrow_id=escrow, amount=amount, attributes={**parties, **context}
        )
        yield self._event(
            "payout",
            None,
            escrow_id=escrow,
            amount=amount,
            attributes={**parties, "destination_clabe": self.clabes[payee]},
        )

    def stream(self) -> Iterator[RiskEvent]:
        while True:
            yield from self.escrow()


async def build(history_size: int, seed: int) -> tuple[RuleEngineRiskScreen, World, float]:
    world = World(seed)
    profiles, lists, history = InMemoryPartyProfiles(), InMemoryRiskLists(), InMemoryRiskHistory()
    for index, user in enumerate(world.users):
        await profiles.save(world.profile(user, index))
    for index in range(1_000):
        await lists.add(
            ListEntry.create(
                entry_id=f"l{index}",
                list_name=(ListName.BLOCKLIST, ListName.WATCHLIST)[index % 2],
                kind=ListKind.EMAIL,
                value=f"bad{index}@example.net",
                reason="synthetic",
                source="benchmark",
                added_by="admin",
                added_at=START - timedelta(days=1),
            )
        )
    screen = RuleEngineRiskScreen(
        ruleset=default_ruleset(), history=history, profiles=profiles, lists=lists
    )
    began = time.perf_counter()
    count = 0
    for event in world.sign_ups():
        await screen.screen(event)
        count += 1
    stream = world.stream()
    while count < history_size:
        await screen.screen(next(stream))
        count += 1
    return screen, world, count / (time.perf_counter() - began)


async def measure(
    screen: RuleEngineRiskScreen, world: World, n: int
) -> tuple[list[int], dict[Outcome, int]]:
    events: list[RiskEvent] = []
    stream = world.stream()
    while len(events) < n:
        events.append(next(stream))
    latencies: list[int] = []
    outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    clock = time.perf_counter_ns
    for event in events:
        began = clock()
        decision = await screen.screen(event)
        latencies.append(clock() - began)
        outcomes[decision.outcome] += 1
    return latencies, outcomes


def quietest_core() -> int | None:
    """The allowed CPU that was idle the most over half a second (Linux), to pin to."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)

    def idle() -> dict[int, int]:
        with Path("/proc/stat").open(encoding="ascii") as stat:
            rows = [line.split() for line in stat if line.startswith("cpu") and line[3].isdigit()]
        return {int(row[0][3:]): int(row[4]) for row in rows}

    try:
        before = idle()
        time.sleep(0.5)
        after = idle()
    except OSError:
        return min(allowed)
    return max(allowed, key=lambda cpu: after.get(cpu, 0) - before.get(cpu, 0))


def percentile(values: list[int], fraction: float) -> float:
    """The ``fraction`` quantile of nanosecond ``values``, in microseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1_000


def report(
    screen: RuleEngineRiskScreen,
    args: argparse.Namespace,
    load_rate: float,
    rounds: list[list[int]],
    outcomes: dict[Outcome, int],
) -> None:
    every = [latency for round_ in rounds for latency in round_]
    rates = [len(round_) / (sum(round_) / 1e9) for round_ in rounds]
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs visible, pinned to one core; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"ruleset {screen.ruleset.label} ({len(screen.ruleset.rules)} rules) "
        f"{screen.ruleset.digest[:12]}"
    )
    print(
        f"history: {args.history:,} events, {USERS:,} users; "
        f"preload screened at {load_rate:,.0f} decisions/s"
    )
    print(
        f"measured: {len(every):,} decisions in {len(rounds)} rounds: "
        + ", ".join(f"{rate:,.0f}" for rate in rates)
        + f" decisions/s (best {max(rates):,.0f}, median {statistics.median(rates):,.0f})"
    )
    print(
        f"latency per decision: p50 {percentile(every, 0.50):.1f} us, "
        f"p99 {percentile(every, 0.99):.1f} us, max {max(every) / 1_000:.1f} us, "
        f"mean {statistics.fmean(every) / 1_000:.1f} us"
    )
    print("outcomes: " + ", ".join(f"{o.label} {c}" for o, c in outcomes.items()))


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--measure", type=int, default=20_000, help="decisions per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    core = quietest_core()
    if core is not None:
        os.sched_setaffinity(0, {core})
    screen, world, load_rate = await build(args.history, args.seed)
    gc.collect()
    gc.freeze()  # the preloaded history is long-lived; a service would freeze it the same way
    rounds: list[list[int]] = []
    outcomes: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    for _ in range(args.rounds):
        latencies, counts = await measure(screen, world, args.measure)
        rounds.append(latencies)
        # The in-memory history keeps every screened event in this process's heap (in
        # production it lives in the database); freezing it keeps the collector from rescanning
        # it in the next round, as a long-running service would after warming up.
        gc.collect()
        gc.freeze()
        for outcome, count in counts.items():
            outcomes[outcome] += count
    report(screen, args, load_rate, rounds, outcomes)


if __name__ == "__main__":
    asyncio.run(main())
