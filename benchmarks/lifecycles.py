"""Full escrow lifecycles per second through the use cases on the in-memory adapters.

Method: one process, one core. Each lifecycle is open -> deposit (funds it) -> payer approves
(release) -> dispatch payouts to the sandbox rail -> confirm every payout (completed): five use
cases, nine units of work. The baseline, measured in the same run, drives the same story on the
bare ``Escrow`` aggregate (no use cases, no unit of work, no ledger): the ratio is the cost of
persistence semantics (journaled units of work, deep copies, ledger postings, outbox, events,
notifications) on top of the domain logic itself.

Usage: ``python benchmarks/lifecycles.py [--lifecycles N]``
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time
from datetime import timedelta

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.escrow.deposits import IncomingDeposit
from kustodia_domain.escrow.directory import PayoutDirectory
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind, EscrowTerms
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.payouts import PayoutNotice
from kustodia_domain.services.record_deposit import RecordDeposit
from kustodia_domain.services.users import RegisterUser, SetPayoutAccount
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import EscrowId, UserId
from kustodia_domain.shared.money import Money
from kustodia_entrypoints.bootstrap.in_memory import InMemoryKustodia, build_in_memory

SOURCE = "012180012345678909"
PAYOUT = "002115016003269411"


async def _parties(app: InMemoryKustodia) -> tuple[str, str]:
    uc = app.use_cases
    buyer = await uc.register_user.execute(RegisterUser(email="b@example.mx", full_name="B"))
    seller = await uc.register_user.execute(RegisterUser(email="s@example.mx", full_name="S"))
    await uc.set_payout_account.execute(
        SetPayoutAccount(user_id=seller.id, clabe=PAYOUT, holder_name="S")
    )
    return buyer.id, seller.id


async def _lifecycle(app: InMemoryKustodia, buyer: str, n: int) -> None:
    uc = app.use_cases
    escrow = await uc.open_escrow.execute(
        OpenEscrow(
            creator_id=UserId(buyer), kind=EscrowKind.STANDARD, creator_role=CreatorRole.PAYER,
            counterparty_email="s@example.mx", amount_minor=250_000, currency="MXN",
            custody_percent=60, custody_days=5, description="bench",
        )
    )  # fmt: skip
    await uc.record_deposit.execute(
        RecordDeposit(
            tracking_key=f"T{n}", clabe=escrow.deposit_clabe.value, reference=escrow.reference,
            amount_minor=escrow.amount_due.amount_minor, currency="MXN", source_clabe=SOURCE,
            sender_name="B", received_at=app.clock.now(),
        )
    )  # fmt: skip
    await uc.approve_release.execute(ApproveRelease(escrow_id=escrow.id, actor_id=UserId(buyer)))
    await uc.dispatch_payouts.execute()
    for order in app.rail.sent[-2:]:
        await uc.confirm_payout.execute(PayoutNotice(payout_id=order.payout_id))


def _domain_lifecycle(n: int) -> None:
    payee = UserId("s")
    directory = PayoutDirectory({payee: Clabe(PAYOUT)}, Clabe(PAYOUT))
    now = build_in_memory().clock.now()
    escrow = Escrow.open(
        escrow_id=EscrowId(f"e{n}"), kind=EscrowKind.STANDARD, created_by=CreatorRole.PAYER,
        payer_id=UserId("b"), payee_id=payee,
        terms=EscrowTerms(amount=Money.mxn(250_000), custody_percent=60, custody_days=5,
                          description="bench"),
        fee=Money.mxn(0), reference=str(n), deposit_clabe=Clabe(SOURCE),
        funding_window=timedelta(days=7), at=now,
    )  # fmt: skip
    escrow.receive_deposit(
        IncomingDeposit(tracking_key=f"T{n}", amount=Money.mxn(250_000),
                        source_clabe=Clabe(SOURCE), sender_name="B", received_at=now),
        now, directory,
    )  # fmt: skip
    escrow.approve_release(UserId("b"), now, directory)
    for payout in escrow.payouts:
        escrow.mark_payout_sent(payout.id, now, None)
        escrow.confirm_payout(payout.id, now)
    escrow.pull_events()


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(count: int) -> list[float]:
    # One buyer runs thousands of escrows, which the fraud rules would rightly stop (velocity,
    # KYC caps); the figures in docs/benchmarks.md measure the use cases and adapters, and the
    # engine's own cost is measured by benchmarks/fraud_engine.py.
    app = build_in_memory(risk=AllowAllRiskScreen())
    buyer, _ = await _parties(app)
    timings = []
    for n in range(count):
        start = time.perf_counter()
        await _lifecycle(app, buyer, n)
        timings.append(time.perf_counter() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifecycles", type=int, default=2_000)
    args = parser.parse_args()
    base = []
    for n in range(args.lifecycles):
        start = time.perf_counter()
        _domain_lifecycle(n)
        base.append(time.perf_counter() - start)
    timings = asyncio.run(_measure(args.lifecycles))
    rate, base_rate = len(timings) / sum(timings), len(base) / sum(base)
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, Python {platform.python_version()}")
    print(f"lifecycles: {args.lifecycles}")
    p50, p99 = statistics.median(timings) * 1e3, _percentile(timings, 0.99) * 1e3
    latency = f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    print(f"use cases, in-memory adapters: {rate:,.0f} lifecycles/s ({latency})")
    print(
        f"baseline, bare aggregate:      {base_rate:,.0f} lifecycles/s "
        f"(p50 {statistics.median(base) * 1e3:.3f} ms)"
    )
    print(f"ratio use cases / aggregate: {rate / base_rate:.3f}")


if __name__ == "__main__":
    main()
