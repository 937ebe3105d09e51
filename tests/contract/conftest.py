"""Contract-suite plumbing shared by every port's suite."""

from __future__ import annotations

import inspect

import pytest


def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Fail loudly when an adapter's ``Test...`` subclass leaves a contract fixture abstract.

    pytest silently skips abstract classes, which would let an adapter drift from its port
    with a green run.
    """
    if name.startswith("Test") and inspect.isclass(obj) and inspect.isabstract(obj):
        missing = ", ".join(sorted(getattr(obj, "__abstractmethods__", ())))
        raise TypeError(f"{name} must provide the contract fixtures: {missing}")
