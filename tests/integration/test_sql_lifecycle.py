"""The lifecycle state machine on the SQL adapters: PostgreSQL and a SQLite file.

The same machine as on the in-memory adapters (:mod:`tests.property.lifecycle_machine`), with
fewer and shorter runs: every step is several units of work on a real database. Each example
starts from an empty database: PostgreSQL's is emptied (the module migrates one of its own),
SQLite's is a fresh copy of a migrated file. Under ``CI`` the runs are derandomized, so they
are the same on every build.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.sql.engine import create_engine
from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.services.config import PlatformPolicy
from kustodia_entrypoints.bootstrap.sql import SqlKustodia, build_sql
from tests.integration.databases import (
    empty_postgres,
    migrate,
    require_postgres,
    scratch_postgres_database,
    sqlite_risk_file,
    sqlite_url,
)
from tests.property.lifecycle_machine import EscrowLifecycle, LifecycleApp

SETTINGS = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
POLICY = PlatformPolicy(fees=FeeSchedule(standard_bps=150, dual_approval_bps=250))


class SqlEscrowLifecycle(EscrowLifecycle):
    """The machine over a database that each example finds empty.

    As on the in-memory adapters, the screen allows everything: the machine's model expects
    every deposit to apply, and fraud verdicts have tests of their own.
    """

    engine: AsyncEngine | None = None
    sql_app: SqlKustodia | None = None

    def build(self) -> LifecycleApp:
        self.engine = self.run(self.empty_engine())
        self.sql_app = build_sql(self.engine, policy=POLICY, risk=AllowAllRiskScreen())
        return self.sql_app

    async def empty_engine(self) -> AsyncEngine:
        raise NotImplementedError

    def teardown(self) -> None:
        if self.sql_app is not None:
            self.run(self.sql_app.aclose())  # the risk file's engine; the engine stays ours
        if self.engine is not None:
            self.run(self.engine.dispose())
        super().teardown()


class PostgresEscrowLifecycle(SqlEscrowLifecycle):
    url: ClassVar[str]

    async def empty_engine(self) -> AsyncEngine:
        engine = create_engine(self.url)
        await empty_postgres(engine)
        return engine


class SqliteEscrowLifecycle(SqlEscrowLifecycle):
    template: ClassVar[Path]
    directory: ClassVar[Path]
    examples: ClassVar[int] = 0

    async def empty_engine(self) -> AsyncEngine:
        SqliteEscrowLifecycle.examples += 1
        path = self.directory / f"example-{self.examples}.db"
        await asyncio.to_thread(shutil.copyfile, self.template, path)
        template_risk, risk = sqlite_risk_file(self.template), sqlite_risk_file(path)
        await asyncio.to_thread(shutil.copyfile, template_risk, risk)
        return create_engine(sqlite_url(path))


@pytest.fixture(scope="module")
def postgres_lifecycle_url() -> Iterator[str]:
    require_postgres()
    with scratch_postgres_database("lifecycle") as url:
        migrate(url)
        yield url


@pytest.mark.integration
def test_the_lifecycle_machine_holds_its_invariants_on_postgres(
    postgres_lifecycle_url: str,
) -> None:
    PostgresEscrowLifecycle.url = postgres_lifecycle_url
    run_state_machine_as_test(PostgresEscrowLifecycle, settings=SETTINGS)


def test_the_lifecycle_machine_holds_its_invariants_on_sqlite(tmp_path: Path) -> None:
    template = tmp_path / "template.db"
    migrate(sqlite_url(template))
    SqliteEscrowLifecycle.template = template
    SqliteEscrowLifecycle.directory = tmp_path
    run_state_machine_as_test(SqliteEscrowLifecycle, settings=SETTINGS)
