"""Contract-suite plumbing shared by every port's suite."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.databases import (
    migrate,
    require_postgres,
    scratch_postgres_database,
    sqlite_url,
)


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Fail loudly when an adapter's ``Test...`` subclass leaves a contract fixture abstract.

    pytest silently skips abstract classes, which would let an adapter drift from its port
    with a green run.
    """
    if name.startswith("Test") and inspect.isclass(obj) and inspect.isabstract(obj):
        missing = ", ".join(sorted(getattr(obj, "__abstractmethods__", ())))
        raise TypeError(f"{name} must provide the contract fixtures: {missing}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; SQL contract tests copy it."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this run, migrated to head, dropped at the end."""
    require_postgres()
    with scratch_postgres_database("contract") as url:
        migrate(url)
        yield url
