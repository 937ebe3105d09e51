"""A transaction of its own for each call of a store that lives outside the unit of work.

The audit trail, credentials, idempotency keys, webhook receipts, evidence blobs, KYC
sessions, the queue of reconciliation differences and the fraud engine's stores share no
transaction with money, so each call checks a connection out of the pool, runs its statements
in one transaction and commits. Statements go through
:class:`~kustodia_adapters.sql.session.SqlTransaction`, so database refusals come out as the
ports' errors exactly as inside a unit of work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.errors import storage_error
from kustodia_adapters.sql.session import SqlTransaction


@asynccontextmanager
async def own_transaction(engine: AsyncEngine) -> AsyncIterator[SqlTransaction]:
    """A transaction committed when the block ends normally, rolled back when it raises.

    Raises:
        ConflictError: a unique constraint refused a write.
        ConcurrencyConflictError: a concurrent transaction won a race; nothing was written.
    """
    async with engine.connect() as connection:
        transaction = SqlTransaction(connection)
        yield transaction
        if transaction.failed:
            # A statement failed and the block swallowed it: PostgreSQL would refuse to commit.
            raise RuntimeError("a statement of this transaction failed: it can only roll back")
        try:
            await connection.commit()
        except DBAPIError as error:
            translated = storage_error(error, transaction.dialect)
            if translated is None:
                raise
            raise translated from error
