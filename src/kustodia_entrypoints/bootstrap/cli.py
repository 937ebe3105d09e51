"""The ``kustodia`` console script: builds the application and dispatches to a command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import attrs

from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap import commands
from kustodia_entrypoints.bootstrap.in_memory import InMemoryKustodia, build_in_memory
from kustodia_entrypoints.bootstrap.settings import SettingsError
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


def _walkthrough(args: argparse.Namespace) -> int:
    app = build_in_memory(policy=PlatformPolicy(fees=FeeSchedule(standard_bps=150)))
    asyncio.run(run_walkthrough(_WalkthroughAdapter(app)))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kustodia", description="Kustodia escrow platform")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("walkthrough", help="play a narrated escrow story on the in-memory adapters")
    serve = sub.add_parser("serve", help="run the HTTP API (sandbox mode unless KUSTODIA_ENV says)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    db = sub.add_parser("db", help="database migrations against KUSTODIA_DATABASE_URL")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate to the latest revision")
    down = db_sub.add_parser("downgrade", help="migrate down to REV")
    down.add_argument("revision")
    db_sub.add_parser("current", help="print the database's revision")
    admin = sub.add_parser("admin", help="manage staff")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create an admin and print its id")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", default="Kustodia Admin")
    worker = sub.add_parser("worker", help="run due jobs and dispatch the outbox")
    worker.add_argument("--once", action="store_true", help="a single pass, then exit")
    demo = sub.add_parser("demo", help="play the narrated story against the API")
    demo.add_argument("--base-url", default=None, help="a running API (default: one in-process)")
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "walkthrough": _walkthrough,
    "serve": commands.serve,
    "db": commands.db,
    "admin": commands.admin,
    "worker": commands.worker,
    "demo": commands.demo,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kustodia`` command."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
