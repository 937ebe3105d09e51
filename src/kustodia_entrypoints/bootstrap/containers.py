"""The dependency-injector containers: adapters per mode, and the application over them.

``InMemoryAdapters`` provides every port in process; the SQL adapters container follows the
same provider names (``ports``, ``clock``, ``rail``, ``readiness``) once every port has a SQL
adapter. ``Application`` wires whichever adapters it is given to the use cases, the HTTP edge
and the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dependency_injector import containers, providers

from kustodia_adapters.crypto.argon2_hasher import Argon2PasswordHasher
from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.ids import UuidIdGenerator
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.sandbox_clock import SandboxClock
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_entrypoints.bootstrap.in_memory import in_memory_ports
from kustodia_entrypoints.bootstrap.readiness import AlwaysReady
from kustodia_entrypoints.bootstrap.sandbox import SimulatedRailControls
from kustodia_entrypoints.bootstrap.settings import Settings
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
        cors_origins=settings.cors_origins,
        login_attempts_per_minute=settings.login_attempts_per_minute,
    )


def wall_clock() -> datetime:
    return datetime.now(UTC)


def http_services(
    settings: Settings, use_cases: UseCases, readiness: ReadinessProbe, sandbox: SandboxControls
) -> HttpServices:
    """What the handlers reach; the sandbox controls only outside production."""
    return HttpServices(
        use_cases=use_cases,
        readiness=readiness,
        wall_clock=wall_clock,
        sandbox=None if settings.env.value == "production" else sandbox,
    )


class InMemoryAdapters(containers.DeclarativeContainer):
    """Every port in process; nothing survives a restart.

    ``risk`` is ``None``, which screens with the fraud rule engine; tests override it with
    ``providers.Object(AllowAllRiskScreen())`` or a scripted screen.
    """

    policy = providers.Dependency(instance_of=PlatformPolicy)
    risk: providers.Provider[RiskScreen | None] = providers.Object(None)
    store = providers.Singleton(InMemoryStore)
    clock = providers.Singleton(SandboxClock)
    rail = providers.Singleton(InMemoryPaymentRail)
    audit = providers.Singleton(InMemoryAuditTrail)
    ids = providers.Singleton(UuidIdGenerator)
    hasher = providers.Singleton(Argon2PasswordHasher)
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
    )
    readiness = providers.Singleton(AlwaysReady)


class Application(containers.DeclarativeContainer):
    """Use cases, the HTTP edge's services and the sandbox controls over ``adapters``."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()
    use_cases = providers.Singleton(UseCases.build, adapters.ports)
    sandbox = providers.Singleton(SimulatedRailControls, adapters.clock, adapters.rail)
    http_config = providers.Singleton(http_config, settings)
    http_services = providers.Singleton(
        http_services, settings, use_cases, adapters.readiness, sandbox
    )


def in_memory_application(settings: Settings) -> Application:
    """The application on in-memory adapters, configured by ``settings``."""
    adapters = InMemoryAdapters(policy=providers.Object(platform_policy(settings)))
    return Application(settings=providers.Object(settings), adapters=adapters)
