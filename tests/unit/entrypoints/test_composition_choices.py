"""What the composition root picks from the settings: assessor, notifier, rail and database."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from kustodia_adapters.email import ConsoleNotifier, SmtpNotifier, SmtpSecurity
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.rail_statement import InMemoryRailStatement
from kustodia_adapters.llm import LlmDisputeAssessor
from kustodia_adapters.rails.http_spei import HttpRailStatement, HttpSpeiRail
from kustodia_adapters.sql.engine import create_engine, risk_database_url
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_entrypoints.bootstrap.containers import (
    application_for,
    business_clock,
    dispute_assessor,
    notifier,
    rails,
)
from kustodia_entrypoints.bootstrap.in_memory import build_in_memory
from kustodia_entrypoints.bootstrap.readiness import AlwaysReady, DatabaseReadiness
from kustodia_entrypoints.bootstrap.reporting import log_absorbed
from kustodia_entrypoints.bootstrap.settings import SettingsError, load_settings
from kustodia_entrypoints.bootstrap.sql import sql_ports

SECRETS = {
    "KUSTODIA_JWT_SECRET": "j" * 32,
    "KUSTODIA_SPEI_WEBHOOK_SECRET": "w" * 32,
    "KUSTODIA_KYC_WEBHOOK_SECRET": "k" * 32,
}
RAIL = {
    "KUSTODIA_RAIL_BASE_URL": "https://rail.example.mx",
    "KUSTODIA_RAIL_API_KEY": "key",
    "KUSTODIA_RAIL_API_SECRET": "secret",
}


def test_the_llm_assessor_is_used_only_with_a_base_url_and_a_model() -> None:
    llm = load_settings(
        {
            "KUSTODIA_ENV": "sandbox",
            "KUSTODIA_LLM_BASE_URL": "http://localhost:11434/v1",
            "KUSTODIA_LLM_MODEL": "llama3.1",
            "KUSTODIA_LLM_API_KEY": "k",
        }
    )
    chosen = dispute_assessor(llm)
    assert isinstance(chosen, LlmDisputeAssessor)
    assert chosen.configured
    for partial in (
        {},
        {"KUSTODIA_LLM_MODEL": "llama3.1"},
        {"KUSTODIA_LLM_BASE_URL": "http://localhost:11434/v1"},
    ):
        settings = load_settings({"KUSTODIA_ENV": "sandbox", **partial})
        assert isinstance(dispute_assessor(settings), PolicyDisputeAssessor)


def test_the_console_notifier_is_the_default_and_smtp_is_validated_at_start_up() -> None:
    assert isinstance(notifier(load_settings({"KUSTODIA_ENV": "sandbox"})), ConsoleNotifier)
    smtp = load_settings(
        {
            "KUSTODIA_ENV": "sandbox",
            "KUSTODIA_EMAIL_BACKEND": "smtp",
            "KUSTODIA_SMTP_HOST": "smtp.example.mx",
            "KUSTODIA_SMTP_SECURITY": "ssl",
            "KUSTODIA_SMTP_USERNAME": "u",
            "KUSTODIA_SMTP_PASSWORD": "p",
            "KUSTODIA_SMTP_TIMEOUT_SECONDS": "2.5",
            "KUSTODIA_EMAIL_FROM": "avisos@example.mx",
            "KUSTODIA_APP_URL": "https://app.example.mx",
        }
    )
    assert smtp.smtp is not None
    assert (smtp.smtp.port, smtp.smtp.security, smtp.smtp.timeout_seconds) == (
        465,
        SmtpSecurity.SSL,
        2.5,
    )
    assert isinstance(notifier(smtp), SmtpNotifier)
    with pytest.raises(SettingsError) as refused:
        load_settings(
            {
                "KUSTODIA_ENV": "sandbox",
                "KUSTODIA_EMAIL_BACKEND": "smtp",
                "KUSTODIA_SMTP_PORT": "99999",
                "KUSTODIA_SMTP_USERNAME": "u",
                "KUSTODIA_APP_URL": "app.example.mx",
            }
        )
    problems = "\n".join(refused.value.problems)
    for name in (
        "KUSTODIA_SMTP_HOST",
        "KUSTODIA_EMAIL_FROM",
        "KUSTODIA_SMTP_PORT",
        "KUSTODIA_SMTP_PASSWORD",
        "KUSTODIA_APP_URL",
    ):
        assert name in problems
    with pytest.raises(SettingsError, match="KUSTODIA_EMAIL_BACKEND"):
        load_settings({"KUSTODIA_ENV": "sandbox", "KUSTODIA_EMAIL_BACKEND": "pigeon"})


def test_production_refuses_to_start_without_the_rail_and_then_uses_its_api() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"KUSTODIA_ENV": "production", **SECRETS})
    assert all(
        any(f"{name} is required in production" in p for p in refused.value.problems)
        for name in RAIL
    )
    settings = load_settings({"KUSTODIA_ENV": "production", **SECRETS, **RAIL})
    chosen = rails(settings, business_clock(settings))
    assert isinstance(chosen.payments, HttpSpeiRail)
    assert isinstance(chosen.statement, HttpRailStatement)
    assert chosen.simulated is None


def test_sandbox_keeps_the_simulated_rail_even_with_rail_settings() -> None:
    settings = load_settings({"KUSTODIA_ENV": "sandbox", **RAIL})
    chosen = rails(settings, business_clock(settings))
    assert isinstance(chosen.payments, InMemoryPaymentRail)
    assert chosen.simulated is chosen.payments


def test_a_sql_url_builds_the_sql_adapters_and_memory_the_in_memory_ones() -> None:
    settings = load_settings({"KUSTODIA_ENV": "sandbox"})
    assert settings.database_url == "sqlite+aiosqlite:///./kustodia.db"
    assert isinstance(application_for(settings).adapters.readiness(), DatabaseReadiness)
    memory = load_settings({"KUSTODIA_ENV": "sandbox", "KUSTODIA_DATABASE_URL": "memory://"})
    assert isinstance(application_for(memory).adapters.readiness(), AlwaysReady)


def test_on_sqlite_the_fraud_stores_get_a_file_of_their_own() -> None:
    sqlite = load_settings({"KUSTODIA_ENV": "sandbox"})
    adapters = application_for(sqlite).adapters
    assert adapters.risk_engine().url.database == "kustodia.risk.db"
    assert risk_database_url("sqlite+aiosqlite:////var/lib/k/main.sqlite3") == make_url(
        "sqlite+aiosqlite:////var/lib/k/main.risk.sqlite3"
    )
    postgres = load_settings(
        {"KUSTODIA_ENV": "sandbox", "KUSTODIA_DATABASE_URL": "postgresql+asyncpg://u@db/k"}
    )
    assert application_for(postgres).adapters.risk_engine() is None


@pytest.mark.parametrize(
    "risk_file", [None, "kustodia.db", "./kustodia.db"], ids=["missing", "same-file", "same-path"]
)
def test_sqlite_ports_refuse_fraud_stores_on_the_units_file(risk_file: str | None) -> None:
    engine = create_engine("sqlite+aiosqlite:///kustodia.db")
    risk_engine = None if risk_file is None else create_engine(f"sqlite+aiosqlite:///{risk_file}")
    rail = InMemoryPaymentRail(FixedClock())
    with pytest.raises(ValueError, match="file of their own"):
        sql_ports(
            engine,
            risk_engine=risk_engine,
            clock=FixedClock(),
            rail=rail,
            statement=InMemoryRailStatement(rail),
        )


def test_both_composition_roots_log_the_failures_use_cases_absorb() -> None:
    engine = create_engine("sqlite+aiosqlite:///kustodia.db")
    risk_engine = create_engine("sqlite+aiosqlite:///kustodia-risk.db")
    rail = InMemoryPaymentRail(FixedClock())
    ports = sql_ports(
        engine,
        risk_engine=risk_engine,
        clock=FixedClock(),
        rail=rail,
        statement=InMemoryRailStatement(rail),
    )

    assert ports.report is log_absorbed
    assert build_in_memory().use_cases.platform.audit.report is log_absorbed
