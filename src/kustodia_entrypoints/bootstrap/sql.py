"""Kustodia on the SQL adapters (PostgreSQL or SQLite): what ``kustodia serve`` runs on.

Every store is a SQL adapter (on SQLite three of them in a second file, see below): the unit of
work's repositories (users, escrows, disputes, the ledger, events, outbox, notifications,
unmatched deposits, support tickets), the party history, the audit trail, credentials,
idempotency keys, webhook receipts, evidence blobs, KYC sessions, the queue of reconciliation
differences, the back office's reads and the fraud engine's stores (history, profiles, lists,
alerts, overrides). The rule engine reads the same history, profile and list stores the use
cases write.

What is not a store runs in process: the sandbox KYC provider (it keeps nothing: its approve
and reject endpoints settle the sessions the platform stored), and the fixed yield rate. The
payment rail and its statement are given: the sandbox rail unless the caller passes the
provider's.

**SQLite** allows one writer per file, and a transaction that has read cannot write once another
connection committed a write after its read began. The rule engine appends to its history, and
may save an alert or list an identifier, *while* the use case's unit of work is open, each in a
transaction of its own: on the unit's file that write would make the unit's own write fail. So
on SQLite the risk history, the alerts and the lists live in a second file beside the first
(:func:`~kustodia_adapters.sql.engine.risk_database_url`, migrated with it), on an engine of
their own: they are written as on PostgreSQL, in transactions of their own that outlive a unit
rolled back, and kept across restarts. Party profiles, overrides, evidence blobs, KYC sessions
and reconciliation differences are written only between units of work, never during one: they
stay in the main file. PostgreSQL keeps all of them in its one database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

import attrs
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.email import ConsoleNotifier, drops_message
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.credentials import TokenSecretSource
from kustodia_adapters.in_memory.ids import UuidIdGenerator
from kustodia_adapters.in_memory.kyc import SandboxKycProvider
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.rail_statement import InMemoryRailStatement
from kustodia_adapters.in_memory.yield_rate import FixedYieldRate
from kustodia_adapters.sql.engine import create_engine, create_risk_engine
from kustodia_adapters.sql.fraud.alerts import SqlAlertRepository
from kustodia_adapters.sql.fraud.history import SqlRiskHistory
from kustodia_adapters.sql.fraud.lists import SqlRiskLists
from kustodia_adapters.sql.fraud.overrides import SqlOverrideRepository
from kustodia_adapters.sql.fraud.profiles import SqlPartyProfiles
from kustodia_adapters.sql.history import SqlPartyHistoryReader
from kustodia_adapters.sql.platform.audit import SqlAuditTrail
from kustodia_adapters.sql.platform.back_office import SqlBackOfficeReads
from kustodia_adapters.sql.platform.blobs import SqlBlobStore
from kustodia_adapters.sql.platform.credentials import SqlCredentialStore
from kustodia_adapters.sql.platform.idempotency import SqlIdempotencyStore
from kustodia_adapters.sql.platform.kyc import SqlKycSessions
from kustodia_adapters.sql.platform.reconciliation_queue import SqlReconciliationQueue
from kustodia_adapters.sql.platform.webhooks import SqlWebhookReceipts
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.audit import AuditTrail
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.credentials import PasswordHasher
from kustodia_domain.ports.idempotency import REQUEST_CLAIM
from kustodia_domain.ports.notifications import Notifier
from kustodia_domain.ports.payment_rail import PaymentRail
from kustodia_domain.ports.rail_statement import RailStatementReader
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.policy_assessor import PolicyDisputeAssessor
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_entrypoints.bootstrap.in_memory import fast_hasher, rule_engine
from kustodia_entrypoints.bootstrap.reporting import log_absorbed


@attrs.frozen(kw_only=True)
class SqlKustodia:
    """The product over a SQL database: its use cases, the ports and the fakes beside them.

    ``aclose`` disposes the engine's pool if :func:`build_sql` created the engine; an engine
    passed in stays the caller's to dispose. ``risk_engine`` (SQLite's second file, ``None`` on
    PostgreSQL) is always created here, and always disposed by ``aclose``.
    """

    use_cases: UseCases
    ports: Ports
    engine: AsyncEngine
    risk_engine: AsyncEngine | None
    clock: FixedClock
    rail: InMemoryPaymentRail
    audit: AuditTrail
    owns_engine: bool

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work on the database (for assertions on stored state)."""
        return SqlUnitOfWork(self.engine)

    async def aclose(self) -> None:
        """Close the risk engine's connections, and the engine's if it was created here."""
        if self.risk_engine is not None:
            await self.risk_engine.dispose()
        if self.owns_engine:
            await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def sql_ports(
    engine: AsyncEngine,
    *,
    clock: Clock,
    rail: PaymentRail,
    statement: RailStatementReader,
    ids: IdGenerator | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
    hasher: PasswordHasher | None = None,
    notifier: Notifier | None = None,
    risk_engine: AsyncEngine | None = None,
) -> Ports:
    """Every port on ``engine`` and ``risk_engine`` (module docstring: which, and what is not).

    ``risk_engine`` holds the risk history, the alerts and the lists; it is required on SQLite
    (:func:`~kustodia_adapters.sql.engine.create_risk_engine`) and defaults to ``engine`` on
    PostgreSQL. ``risk`` defaults to the rule engine over the history, profiles and lists of
    the ports, the very instances the use cases write. Ids are random by default: the database
    outlives the process, so counters that restart at one would collide with the rows of an
    earlier run.

    Raises:
        ValueError: ``engine`` is SQLite and ``risk_engine`` is missing or on the same file.
    """
    if engine.dialect.name == "sqlite" and (
        risk_engine is None or _same_file(risk_engine.url.database, engine.url.database)
    ):
        raise ValueError("on SQLite the risk stores need a file of their own (module docstring)")
    fraud = risk_engine or engine
    history, alerts, lists = SqlRiskHistory(fraud), SqlAlertRepository(fraud), SqlRiskLists(fraud)
    profiles = SqlPartyProfiles(engine)
    return Ports(
        # Fenced by the claim of the request being served, if it has one.
        uow=lambda: SqlUnitOfWork(engine, claim=REQUEST_CLAIM.get(), clock=clock),
        clock=clock,
        ids=ids or UuidIdGenerator(),
        rail=rail,
        risk=risk or rule_engine(history, profiles, lists),
        assessor=assessor or PolicyDisputeAssessor(),
        history=SqlPartyHistoryReader(engine),
        blobs=SqlBlobStore(engine),
        rates=FixedYieldRate(),
        policy=policy or PlatformPolicy(),
        audit=SqlAuditTrail(engine),
        hasher=hasher or fast_hasher(),
        credentials=SqlCredentialStore(engine),
        secrets=TokenSecretSource(),
        idempotency=SqlIdempotencyStore(engine),
        webhook_receipts=SqlWebhookReceipts(engine),
        kyc=SandboxKycProvider(),
        kyc_sessions=SqlKycSessions(engine),
        back_office=SqlBackOfficeReads(engine),
        alerts=alerts,
        overrides=SqlOverrideRepository(engine),
        lists=lists,
        profiles=profiles,
        notifier=notifier or ConsoleNotifier(),
        email_is_permanent=drops_message,
        statement=statement,
        reconciliation=SqlReconciliationQueue(engine),
        report=log_absorbed,
    )


def _same_file(one: str | None, other: str | None) -> bool:
    return one is None or other is None or Path(one).resolve() == Path(other).resolve()


def build_sql(
    url_or_engine: str | URL | AsyncEngine,
    *,
    clock: FixedClock | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
    rail: InMemoryPaymentRail | None = None,
    ids: IdGenerator | None = None,
) -> SqlKustodia:
    """Wire every use case to the SQL adapters over a migrated database, with a hand-moved clock.

    ``url_or_engine`` is a ``postgresql+asyncpg://`` or ``sqlite+aiosqlite:///<file>`` URL (an
    engine is created, and closed by :meth:`SqlKustodia.aclose`) or an existing engine. The
    schema must already be at head (``kustodia db upgrade``, which on SQLite migrates the risk
    file beside the main one too). Pass ``rail`` to share one sandbox rail between several
    compositions, as processes share one real provider; ``ids`` defaults to random ids (see
    :func:`sql_ports`).
    """
    if isinstance(url_or_engine, AsyncEngine):
        engine, owns_engine = url_or_engine, False
    else:
        engine, owns_engine = create_engine(url_or_engine), True
    clock = clock or FixedClock()
    rail = rail or InMemoryPaymentRail(clock)
    risk_engine = create_risk_engine(engine.url)
    ports = sql_ports(
        engine,
        risk_engine=risk_engine,
        clock=clock,
        rail=rail,
        statement=InMemoryRailStatement(rail),
        ids=ids,
        policy=policy,
        risk=risk,
        assessor=assessor,
    )
    return SqlKustodia(
        use_cases=UseCases.build(ports),
        ports=ports,
        engine=engine,
        risk_engine=risk_engine,
        clock=clock,
        rail=rail,
        audit=ports.audit,
        owns_engine=owns_engine,
    )
