"""Both compositions screen with the rule engine by default, and tests can swap the screen."""

from __future__ import annotations

from dependency_injector import providers

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.fraud.ruleset_files import default_ruleset
from kustodia_domain.fraud.screen import RuleEngineRiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_entrypoints.bootstrap.containers import InMemoryAdapters, in_memory_application
from kustodia_entrypoints.bootstrap.in_memory import build_in_memory
from kustodia_entrypoints.bootstrap.settings import load_settings
from kustodia_entrypoints.http.config import Mode


def test_build_in_memory_screens_with_the_shipped_ruleset_unless_told_otherwise() -> None:
    engine = build_in_memory().risk
    assert isinstance(engine, RuleEngineRiskScreen)
    assert engine.ruleset.digest == default_ruleset().digest
    allow_all = AllowAllRiskScreen()
    assert build_in_memory(risk=allow_all).risk is allow_all


def test_the_containers_screen_with_the_rule_engine_and_accept_an_override() -> None:
    settings = load_settings({}, default_env=Mode.SANDBOX)
    assert isinstance(in_memory_application(settings).adapters.ports().risk, RuleEngineRiskScreen)
    adapters = InMemoryAdapters(policy=providers.Object(PlatformPolicy()))
    allow_all = AllowAllRiskScreen()
    adapters.risk.override(providers.Object(allow_all))
    assert adapters.ports().risk is allow_all
