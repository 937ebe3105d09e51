"""Every end-to-end story runs the real Litestar app over fresh in-memory adapters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.http.harness import Person, ScreenFactory, World, running_world


@pytest.fixture
def screen() -> ScreenFactory | None:
    """How ``world`` screens operations: ``None`` is the fraud rule engine (see ``allow_all``)."""
    return None


@pytest.fixture
def world(screen: ScreenFactory | None) -> Iterator[World]:
    with running_world(risk=None if screen is None else screen()) as w:
        yield w


@pytest.fixture
def payer(world: World) -> Person:
    return world.person("payer", payout=False)


@pytest.fixture
def payee(world: World) -> Person:
    return world.person("payee")


@pytest.fixture
def outsider(world: World) -> Person:
    return world.person("outsider")


@pytest.fixture
def admin(world: World) -> Person:
    from kustodia_domain.identity.model import Role

    return world.person("admin", payout=False, role=Role.ADMIN)
