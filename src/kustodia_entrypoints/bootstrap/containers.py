"""The dependency-injector containers: adapters per mode, and the application over them.

``InMemoryAdapters`` provides every port in process; ``SqlAdapters`` provides them on the SQL
database of ``KUSTODIA_DATABASE_URL``. Both have the same provider names: ``ports``, ``clock``,
``rail`` (the simulated rail, ``None`` when the provider's rail is used), ``readiness`` and
``closing`` (what the app's lifespan awaits on shutdown: the engine's pool, the rail's client).
``Application`` wires whichever adapters it is given to the use cases, the HTTP edge and the
worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import attrs
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.crypto.argon2_hasher import Argon2PasswordHasher
from kustodia_adapters.email import ConsoleNotifier, SmtpNotifier
from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import SystemClock
from kustodia_adapters.in_memory.ids import UuidIdGenerator
from kustodia_adapters.in_memory.kyc import SandboxKycProvider
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.rail_statement import InMemoryRailStatement
from kustodia_adapters.in_memory.sandbox_clock import SandboxClock
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.llm import LlmDisputeAssessor
from kustodia_adapters.rails.client import RailApiClient
from kustodia_adapters.rails.http_spei import HttpRailStatement, HttpSpeiRail
from kustodia_adapters.sql.engine import create_engine, create_risk_engine
from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.notifications import Notifier
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.rail_statement import RailStatementReader
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_entrypoints.bootstrap.in_memory import in_memory_ports
from kustodia_entrypoints.bootstrap.readiness import AlwaysReady, DatabaseReadiness, head_revisions
from kustodia_entrypoints.bootstrap.sandbox import MovableClock, SimulatedRailControls
from kustodia_entrypoints.bootstrap.settings import Settings
from kustodia_entrypoints.bootstrap.sql import sql_ports
from kustodia_entrypoints.http.config import HttpConfig
from kustodia_entrypoints.http.services import HttpServices, ReadinessProbe, SandboxControls


def platform_policy(settings: Settings) -> PlatformPolicy:
    """The escrow policy the settings ask for."""
    fee = settings.platform_fee_bps
    return PlatformPolicy(
        fees=FeeSchedule(standard_bps=fee, dual_approval_bps=fee),
        funding_window=timedelta(days=settings.funding_window_days),
    )


def http_config(settings: Settings) -> HttpConfig:
    """The HTTP edge's configuration."""
    return HttpConfig(
        mode=settings.env,
        jwt_secret=settings.jwt_secret,
        webhook_secret=settings.spei_webhook_secret,
        kyc_webhook_secret=settings.kyc_webhook_secret,
        cors_origins=settings.cors_origins,
        login_attempts_per_minute=settings.login_attempts_per_minute,
    )


def wall_clock() -> datetime:
    return datetime.now(UTC)


def dispute_assessor(settings: Settings) -> DisputeAssessor:
    """The LLM assessor when a provider and model are configured, else the deterministic policy."""
    if settings.llm_base_url and settings.llm_model:
        return LlmDisputeAssessor(
            base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key
        )
    return PolicyDisputeAssessor()


def notifier(settings: Settings) -> Notifier:
    """The e-mail notifier of ``KUSTODIA_EMAIL_BACKEND``: SMTP, or the console (the default)."""
    if settings.email_backend == "smtp" and settings.smtp is not None:
        return SmtpNotifier(settings.smtp, app_url=settings.app_url)
    return ConsoleNotifier(app_url=settings.app_url)


def business_clock(settings: Settings) -> Clock:
    """The test clock in sandbox and development, the wall clock in production."""
    return SandboxClock() if settings.sandbox else SystemClock()


@attrs.frozen(kw_only=True)
class Rails:
    """The payment rail and its statement: simulated in sandbox, the provider's in production."""

    payments: PaymentRail
    statement: RailStatementReader
    simulated: InMemoryPaymentRail | None = None
    client: RailApiClient | None = None

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def rails(settings: Settings, clock: Clock) -> Rails:
    """The sandbox rail outside production; the provider's API (required there) in production."""
    if settings.sandbox or settings.rail is None:
        # Users outlive the process in the database: their CLABEs must not restart at one.
        simulated = InMemoryPaymentRail(clock, stable_clabes=not settings.in_memory)
        return Rails(
            payments=simulated, statement=InMemoryRailStatement(simulated), simulated=simulated
        )
    client = RailApiClient(settings.rail)
    return Rails(payments=HttpSpeiRail(client), statement=HttpRailStatement(client), client=client)


async def _nothing_to_close() -> None:
    return None


def sql_closing(
    engine: AsyncEngine, risk_engine: AsyncEngine | None, rails: Rails
) -> Callable[[], Awaitable[None]]:
    """Closes the rail's client and the engines' pools (which a later use opens again)."""

    async def close() -> None:
        await rails.aclose()
        if risk_engine is not None:
            await risk_engine.dispose()
        await engine.dispose()

    return close


def sandbox_controls(
    settings: Settings, clock: MovableClock, rail: InMemoryPaymentRail | None
) -> SimulatedRailControls | None:
    """The test clock and the simulated rail; ``None`` in production."""
    if not settings.sandbox or rail is None:
        return None
    return SimulatedRailControls(clock, rail)


def http_services(
    use_cases: UseCases, readiness: ReadinessProbe, sandbox: SandboxControls | None
) -> HttpServices:
    """What the handlers reach; the sandbox controls only outside production."""
    return HttpServices(
        use_cases=use_cases, readiness=readiness, wall_clock=wall_clock, sandbox=sandbox
    )


class InMemoryAdapters(containers.DeclarativeContainer):
    """Every port in process; nothing survives a restart.

    ``risk`` is ``None``, which screens with the fraud rule engine; tests override it with
    ``providers.Object(AllowAllRiskScreen())`` or a scripted screen.
    """

    policy = providers.Dependency(instance_of=PlatformPolicy)
    risk: providers.Provider[RiskScreen | None] = providers.Object(None)
    assessor: providers.Provider[DisputeAssessor | None] = providers.Object(None)
    notifier: providers.Provider[Notifier | None] = providers.Object(None)
    store = providers.Singleton(InMemoryStore)
    clock = providers.Singleton(SandboxClock)
    rail = providers.Singleton(InMemoryPaymentRail, clock)
    audit = providers.Singleton(InMemoryAuditTrail, store)
    ids = providers.Singleton(UuidIdGenerator)
    hasher = providers.Singleton(Argon2PasswordHasher)
    kyc = providers.Singleton(SandboxKycProvider)
    ports: providers.Provider[Ports] = providers.Singleton(
        in_memory_ports,
        store,
        clock=clock,
        rail=rail,
        audit=audit,
        ids=ids,
        policy=policy,
        risk=risk,
        hasher=hasher,
        assessor=assessor,
        notifier=notifier,
        kyc=kyc,
    )
    readiness = providers.Singleton(AlwaysReady)
    closing = providers.Object(_nothing_to_close)


class SqlAdapters(containers.DeclarativeContainer):
    """Every port on the SQL database of ``settings.database_url`` (see ``bootstrap/sql.py``).

    The engine is created lazily and disposed by ``closing``; the schema must be at head
    (``kustodia serve`` migrates first, ``/ready`` says 503 until then). ``risk`` is ``None``,
    which screens with the rule engine over the SQL fraud stores.
    """

    settings = providers.Dependency(instance_of=Settings)
    policy = providers.Dependency(instance_of=PlatformPolicy)
    risk: providers.Provider[RiskScreen | None] = providers.Object(None)
    engine = providers.Singleton(create_engine, settings.provided.database_url)
    risk_engine = providers.Singleton(create_risk_engine, settings.provided.database_url)
    clock = providers.Singleton(business_clock, settings)
    rails = providers.Singleton(rails, settings, clock)
    rail = rails.provided.simulated
    ids = providers.Singleton(UuidIdGenerator)
    hasher = providers.Singleton(Argon2PasswordHasher)
    ports: providers.Provider[Ports] = providers.Singleton(
        sql_ports,
        engine,
        risk_engine=risk_engine,
        clock=clock,
        rail=rails.provided.payments,
        statement=rails.provided.statement,
        ids=ids,
        policy=policy,
        risk=risk,
        assessor=providers.Singleton(dispute_assessor, settings),
        hasher=hasher,
        notifier=providers.Singleton(notifier, settings),
    )
    readiness = providers.Singleton(
        DatabaseReadiness,
        engine,
        providers.Singleton(head_revisions, settings.provided.database_url),
        risk_engine=risk_engine,
    )
    closing = providers.Singleton(sql_closing, engine, risk_engine, rails)


class Application(containers.DeclarativeContainer):
    """Use cases, the HTTP edge's services and the sandbox controls over ``adapters``."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()
    use_cases = providers.Singleton(UseCases.build, adapters.ports)
    sandbox = providers.Singleton(sandbox_controls, settings, adapters.clock, adapters.rail)
    http_config = providers.Singleton(http_config, settings)
    http_services = providers.Singleton(http_services, use_cases, adapters.readiness, sandbox)


def in_memory_application(settings: Settings) -> Application:
    """The application on in-memory adapters, configured by ``settings``."""
    adapters = InMemoryAdapters(
        policy=providers.Object(platform_policy(settings)),
        assessor=providers.Object(dispute_assessor(settings)),
        notifier=providers.Object(notifier(settings)),
    )
    return Application(settings=providers.Object(settings), adapters=adapters)


def sql_application(settings: Settings) -> Application:
    """The application on the SQL database of ``settings.database_url``."""
    adapters = SqlAdapters(
        settings=providers.Object(settings), policy=providers.Object(platform_policy(settings))
    )
    return Application(settings=providers.Object(settings), adapters=adapters)


def application_for(settings: Settings) -> Application:
    """The container for the configured database: SQL, or in memory for ``memory://``."""
    return in_memory_application(settings) if settings.in_memory else sql_application(settings)


async def close_adapters(container: Application) -> None:
    """Release what the adapters hold open (connection pools, HTTP clients)."""
    close: Callable[[], Awaitable[None]] = container.adapters.closing()
    await close()
