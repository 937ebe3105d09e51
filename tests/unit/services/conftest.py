"""Fixtures of the use-case tests: a fresh in-memory Kustodia with its users for each test."""

from __future__ import annotations

import pytest

from tests.unit.services.scenario import ScriptedRiskScreen, World, build_world


@pytest.fixture
def risk() -> ScriptedRiskScreen:
    """The risk screen of ``world``: allows everything until a test scripts an outcome."""
    return ScriptedRiskScreen()


@pytest.fixture
async def world(risk: ScriptedRiskScreen) -> World:
    """Payer, payee (with payout account), broker (with payout account), outsider, two admins."""
    return await build_world(risk=risk)
