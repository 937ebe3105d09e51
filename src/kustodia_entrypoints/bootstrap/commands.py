"""The CLI's commands, each building what it needs from the validated settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import uvicorn
from sqlalchemy import make_url

from kustodia_domain.identity.model import Role
from kustodia_domain.services.auth import SignUp
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap import migrations
from kustodia_entrypoints.bootstrap.asgi import app_for
from kustodia_entrypoints.bootstrap.containers import Application, application_for, close_adapters
from kustodia_entrypoints.bootstrap.logging import configure_logging
from kustodia_entrypoints.bootstrap.settings import Settings, load_settings
from kustodia_entrypoints.bootstrap.worker import one_pass, run_forever
from kustodia_entrypoints.cli.demo import DemoFailedError, run_demo
from kustodia_entrypoints.cli.demo_data import DEMO_LOGINS, seed_demo
from kustodia_entrypoints.http.config import Mode

IN_MEMORY_NOTICE = "Note: memory:// keeps everything in the process; nothing survives a restart."
T = TypeVar("T")


def _container(default_env: Mode) -> tuple[Settings, Application]:
    settings = load_settings(default_env=default_env)
    configure_logging(settings.env, settings.log_level)
    return settings, application_for(settings)


def _run(container: Application, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` on a new event loop, then release the adapters' connections on that loop."""

    async def run() -> T:
        try:
            return await work()
        finally:
            await close_adapters(container)

    return asyncio.run(run())


def database_label(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    if settings.in_memory:
        return settings.database_url
    return make_url(settings.database_url).render_as_string(hide_password=True)


def serve(args: argparse.Namespace) -> int:
    """Run the API; in sandbox mode migrate, seed the demo data and run the worker alongside.

    In production the schema is migrated by ``kustodia db upgrade`` (a deployment step run
    once, not by every instance); ``/ready`` answers 503 until it is at head.
    """
    settings, container = _container(Mode.SANDBOX)
    if settings.sandbox and not settings.in_memory:
        migrations.upgrade(settings.database_url)
    if settings.sandbox:
        _run(container, lambda: seed_demo(container.use_cases()))
    base = f"http://{args.host}:{args.port}"
    print(f"Kustodia API ({settings.env.value}) on {base}")
    print(f"  Database:  {database_label(settings)}")
    print(f"  API docs:  {base}/schema  (OpenAPI: {base}/schema/openapi.json)")
    if settings.sandbox:
        print("  Demo logins:")
        for login in DEMO_LOGINS:
            print(f"    {login.email:<26} {login.password:<22} {login.note}")
    if settings.in_memory:
        print(IN_MEMORY_NOTICE)
    app = app_for(container, worker=settings.sandbox)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


def db(args: argparse.Namespace) -> int:
    """Alembic upgrade / downgrade / current on ``KUSTODIA_DATABASE_URL``."""
    settings = load_settings(default_env=Mode.SANDBOX)
    if settings.in_memory:
        print(
            "KUSTODIA_DATABASE_URL is memory://: there is no database to migrate", file=sys.stderr
        )
        return 2
    try:
        if args.db_command == "upgrade":
            migrations.upgrade(settings.database_url)
        elif args.db_command == "downgrade":
            migrations.downgrade(settings.database_url, args.revision)
        else:
            migrations.current(settings.database_url)
    except migrations.MigrationsMissingError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def admin(args: argparse.Namespace) -> int:
    """Create an admin and print its id."""
    _, container = _container(Mode.SANDBOX)
    use_cases: UseCases = container.use_cases()
    user = _run(
        container,
        lambda: use_cases.platform.party.sign_up.execute(
            SignUp(email=args.email, password=args.password, full_name=args.name, role=Role.ADMIN)
        ),
    )
    print(user.id)
    if container.settings().in_memory:
        print(IN_MEMORY_NOTICE, file=sys.stderr)
    return 0


def worker(args: argparse.Namespace) -> int:
    """Run due jobs and dispatch payouts: once, or every ``KUSTODIA_WORKER_INTERVAL_SECONDS``."""
    settings, container = _container(Mode.PRODUCTION)
    if args.once:
        done = _run(container, lambda: one_pass(container))
        jobs = done.jobs
        print(f"released {jobs.released}, expired {jobs.expired}, sent {done.payouts_sent} payouts")
        return 0
    _run(container, lambda: run_forever(container, settings.worker_interval_seconds))
    return 0  # pragma: no cover - runs until stopped


def demo(args: argparse.Namespace) -> int:
    """Play the story against ``--base-url``, or against an in-process sandbox API."""
    try:
        if args.base_url:
            import httpx  # noqa: PLC0415 - only this command needs an HTTP client

            with httpx.Client(base_url=args.base_url, timeout=30) as client:
                run_demo(client)
            return 0
        return _demo_in_process()
    except DemoFailedError as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1


def _demo_in_process() -> int:
    from litestar.testing import TestClient  # noqa: PLC0415 - an in-process client for one command

    settings = load_settings(
        {
            "KUSTODIA_ENV": "sandbox",
            "KUSTODIA_DATABASE_URL": "memory://",
            "KUSTODIA_PLATFORM_FEE_BPS": "150",
        }
    )
    configure_logging(settings.env, "WARNING")  # the narration is the output
    container = application_for(settings)
    asyncio.run(seed_demo(container.use_cases()))
    with TestClient(app_for(container)) as client:
        run_demo(client)
    return 0
