"""The ``kustodia`` console script: builds the application and dispatches to a command."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap.in_memory import InMemoryKustodia, build_in_memory
from kustodia_entrypoints.cli.walkthrough import run_walkthrough


@attrs.frozen
class _WalkthroughAdapter:
    """Presents the in-memory application the way the walkthrough expects."""

    app: InMemoryKustodia

    @property
    def use_cases(self) -> UseCases:
        return self.app.use_cases

    def now(self) -> datetime:
        return self.app.clock.now()

    def advance(self, delta: timedelta) -> datetime:
        return self.app.clock.advance(delta)

    def sent_payouts(self) -> Sequence[str]:
        return [order.payout_id for order in self.app.rail.sent]


def _walkthrough() -> int:
    app = build_in_memory(policy=PlatformPolicy(fees=FeeSchedule(standard_bps=150)))
    asyncio.run(run_walkthrough(_WalkthroughAdapter(app)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kustodia`` command."""
    parser = argparse.ArgumentParser(prog="kustodia", description="Kustodia escrow core")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "walkthrough", help="play a narrated escrow story on the in-memory adapters"
    )
    commands_run = {"walkthrough": _walkthrough}
    args = parser.parse_args(argv)
    return commands_run[args.command]()
