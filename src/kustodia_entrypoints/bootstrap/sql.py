"""Kustodia on the SQL adapters (PostgreSQL or SQLite): for integration tests and benchmarks.

The storage ports of the unit of work (users, escrows, disputes, the ledger, events, outbox,
notifications, unmatched deposits) and the party history reader run on
:mod:`kustodia_adapters.sql`. The ports that have no SQL adapter yet run on the in-memory
adapters, so what they hold lives only as long as the process: support tickets, the audit
trail, credentials and token secrets, request idempotency keys, webhook receipts, the back
office's reads (over an empty in-memory store: its searches and summaries see nothing stored
in SQL) and the fraud stores (alerts, lists, overrides). The payment rail, blob store, yield
rate and risk screen are the sandbox ones unless given.
"""

from __future__ import annotations

from typing import Self

import attrs
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.ids import UuidIdGenerator
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.history import SqlPartyHistoryReader
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.ports.assessor import DisputeAssessor
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.use_cases import Ports, UseCases
from kustodia_entrypoints.bootstrap.in_memory import in_memory_ports


@attrs.frozen(kw_only=True)
class SqlKustodia:
    """The product over one SQL database: its use cases, the ports and the fakes beside them.

    ``aclose`` disposes the engine's pool if :func:`build_sql` created the engine; an engine
    passed in stays the caller's to dispose.
    """

    use_cases: UseCases
    ports: Ports
    engine: AsyncEngine
    clock: FixedClock
    rail: InMemoryPaymentRail
    audit: InMemoryAuditTrail
    owns_engine: bool

    def uow(self) -> SqlUnitOfWork:
        """A new unit of work on the database (for assertions on stored state)."""
        return SqlUnitOfWork(self.engine)

    async def aclose(self) -> None:
        """Close the engine's connections, if the engine was created here."""
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
    rail: InMemoryPaymentRail,
    audit: InMemoryAuditTrail,
    ids: IdGenerator | None = None,
    policy: PlatformPolicy | None = None,
    risk: RiskScreen | None = None,
    assessor: DisputeAssessor | None = None,
) -> Ports:
    """Every port: storage on ``engine``, the rest in memory (see the module docstring).

    The in-memory ports are :func:`~kustodia_entrypoints.bootstrap.in_memory.in_memory_ports`'
    own, over a store that holds nothing; the unit of work and the party histories replace
    theirs. Ids are random by default: the database outlives the process, so counters that
    restart at one would collide with the rows of an earlier run.
    """
    ports = in_memory_ports(
        InMemoryStore(),
        clock=clock,
        rail=rail,
        audit=audit,
        ids=ids or UuidIdGenerator(),
        policy=policy,
        risk=risk,
        assessor=assessor,
    )
    return attrs.evolve(
        ports, uow=lambda: SqlUnitOfWork(engine), history=SqlPartyHistoryReader(engine)
    )


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
    schema must already be at head (``kustodia db upgrade`` or Alembic). Pass ``rail`` to share
    one sandbox rail between several compositions, as processes share one real provider;
    ``ids`` defaults to random ids (see :func:`sql_ports`).
    """
    if isinstance(url_or_engine, AsyncEngine):
        engine, owns_engine = url_or_engine, False
    else:
        engine, owns_engine = create_engine(url_or_engine), True
    clock = clock or FixedClock()
    rail = rail or InMemoryPaymentRail()
    audit = InMemoryAuditTrail()
    ports = sql_ports(
        engine,
        clock=clock,
        rail=rail,
        audit=audit,
        ids=ids,
        policy=policy,
        risk=risk,
        assessor=assessor,
    )
    return SqlKustodia(
        use_cases=UseCases.build(ports),
        ports=ports,
        engine=engine,
        clock=clock,
        rail=rail,
        audit=audit,
        owns_engine=owns_engine,
    )
