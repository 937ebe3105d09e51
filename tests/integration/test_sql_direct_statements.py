"""Hot statements sent straight through asyncpg read and fail exactly as through SQLAlchemy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.direct import DirectStatement
from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.session import SqlTransaction
from kustodia_adapters.sql.tables import escrows, outbox_messages
from kustodia_adapters.sql.unit_of_work import SqlUnitOfWork
from kustodia_domain.shared.errors import ConflictError
from tests.contract.builders import T0, escrow, user
from tests.integration.databases import migrate, require_postgres, scratch_postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The direct path is PostgreSQL's: SQLite runs every statement through SQLAlchemy."""
    require_postgres()
    with scratch_postgres_database("direct") as url:
        yield url


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(migrate, postgres_url)
    engine = create_engine(postgres_url)
    yield engine
    await engine.dispose()


def _transaction(uow: SqlUnitOfWork) -> SqlTransaction:
    return uow._current()


async def test_rows_are_the_ones_sqlalchemy_returns(postgres_engine: AsyncEngine) -> None:
    stored = escrow()
    async with SqlUnitOfWork(postgres_engine) as uow:
        for party in (stored.payer_id, stored.payee_id):
            await uow.users.add(user(party))
        await uow.escrows.add(stored)
        await uow.commit()
    query = select(escrows, literal("constant").label("source")).where(
        escrows.c.id == bindparam("value")
    )
    statement = DirectStatement(query)

    async with SqlUnitOfWork(postgres_engine) as uow:
        transaction = _transaction(uow)
        direct = await transaction.fetch(statement, {"value": stored.id})
        await transaction.begin()  # inside BEGIN the same statement goes through SQLAlchemy
        through_sqlalchemy = await transaction.fetch(statement, {"value": stored.id})

    assert direct == through_sqlalchemy
    assert len(direct) == 1
    assert direct[0]["source"] == "constant"
    assert direct[0]["created_at"].utcoffset() == timedelta(0)  # aware UTC, as UtcDateTime reads
    assert isinstance(direct[0]["document"], dict)  # JSONB decoded


async def test_a_refusal_is_the_ports_error_and_fails_the_unit(
    postgres_engine: AsyncEngine,
) -> None:
    insert = DirectStatement(
        outbox_messages.insert()
        .values(key=bindparam("key"), topic="t", payload={}, created_at=bindparam("at"))
        .returning(outbox_messages.c.key)
    )
    async with SqlUnitOfWork(postgres_engine) as uow:
        first = await _transaction(uow).fetch(insert, {"key": "k", "at": T0})
        assert first == [{"key": "k"}]

    async with SqlUnitOfWork(postgres_engine) as uow:
        transaction = _transaction(uow)
        with pytest.raises(ConflictError):
            await transaction.fetch(insert, {"key": "k", "at": T0})
        assert transaction.failed
        with pytest.raises(RuntimeError):
            await uow.commit()


def test_expanding_parameters_are_refused() -> None:
    query = select(escrows.c.id).where(escrows.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="ANY"):
        DirectStatement(query)


def test_a_parameter_without_a_value_is_an_error() -> None:
    statement = DirectStatement(select(escrows.c.id).where(escrows.c.id == bindparam("value")))
    with pytest.raises(KeyError):
        statement.arguments({})
