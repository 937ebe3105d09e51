"""The unit of work over an ``AsyncEngine``: one connection, one database transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.audit_pending import SqlPendingAudit
from kustodia_adapters.sql.dialects import dialect_named
from kustodia_adapters.sql.disputes import SqlDisputeRepository
from kustodia_adapters.sql.errors import storage_error
from kustodia_adapters.sql.escrows import SqlEscrowRepository
from kustodia_adapters.sql.event_log import SqlEventLog
from kustodia_adapters.sql.ledger import SqlLedger
from kustodia_adapters.sql.notifications import SqlNotificationRepository
from kustodia_adapters.sql.outbox import SqlOutbox
from kustodia_adapters.sql.platform.idempotency import fence_statement
from kustodia_adapters.sql.reconciliation import SqlUnmatchedDepositRepository
from kustodia_adapters.sql.session import SqlTransaction
from kustodia_adapters.sql.tickets import SqlTicketRepository
from kustodia_adapters.sql.users import SqlUserRepository
from kustodia_adapters.sql.write_behind import flush
from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.idempotency import Claim
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ConcurrencyConflictError


class SqlUnitOfWork(UnitOfWork):
    """``async with`` checks out a connection and begins; ``commit`` commits; leaving rolls back.

    PostgreSQL runs at READ COMMITTED: aggregates are protected by their optimistic version
    (``UPDATE ... WHERE version = :read``), ledger balances by their never-negative CHECK; a
    unit that writes only at its commit is one statement, without ``BEGIN`` (see session).
    SQLite gives each unit one snapshot and one writer at a time; a unit whose snapshot went
    stale before its first write fails. Either way a lost race is a
    ``ConcurrencyConflictError`` and nothing of the losing unit is written. After a statement
    failed in the database the unit can only be left: ``commit`` raises. After a commit the
    unit may go on in a new transaction. One instance serves one task at a time. Rows that are
    only ever inserted (escrow child rows, ledger writes, outbox, notifications, events, audit
    records), and
    on PostgreSQL the escrow's own row, are sent together at the commit
    (:mod:`kustodia_adapters.sql.write_behind`). A unit fenced by an idempotency claim that
    wrote anything begins its commit with the fence's update, so on PostgreSQL it is
    ``BEGIN``, the fence, the write statement and ``COMMIT``.
    """

    def __init__(
        self, engine: AsyncEngine, *, claim: Claim | None = None, clock: Clock | None = None
    ) -> None:
        """A unit of work over ``engine``, fenced by ``claim`` when one is given.

        ``claim`` is the idempotency claim of the request this unit serves; each commit marks
        it committed at ``clock``'s time, or fails if it is not the request's any more (see
        :mod:`kustodia_domain.ports.idempotency`).
        """
        if claim is not None and clock is None:
            raise ValueError("a unit of work fenced by a claim needs a clock")
        self._engine = engine
        self._fence = None if claim is None or clock is None else (claim, clock)
        self._transaction: SqlTransaction | None = None
        self.users = SqlUserRepository(self._current)
        self.escrows = SqlEscrowRepository(self._current)
        self.disputes = SqlDisputeRepository(self._current)
        self.ledger = SqlLedger(self._current)
        self.events = SqlEventLog(self._current)
        self.outbox = SqlOutbox(self._current)
        self.notifications = SqlNotificationRepository(self._current)
        self.unmatched_deposits = SqlUnmatchedDepositRepository(self._current)
        self.audit = SqlPendingAudit(self._current)
        self.tickets = SqlTicketRepository(self._current)

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("this unit of work is already open")
        # SQLite: the connection begins a transaction at its first statement (see dialects).
        # PostgreSQL: at the first statement that writes or locks (see session).
        connection = await self._engine.connect()
        dialect = dialect_named(connection.dialect.name)
        transaction = SqlTransaction(connection, deferred_begin=dialect.writes_in_one_statement)
        await transaction.autocommit()
        self._transaction = transaction
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        connection = transaction.connection
        try:
            # A unit that only sent direct statements never began one in SQLAlchemy.
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        """Send the pending rows (write-behind), then commit.

        Raises:
            RuntimeError: a statement of this unit failed in the database.
            ConflictError: a pending row was refused (see ``write_behind.flush``); the unit
                can only roll back.
            ConcurrencyConflictError: the request's idempotency claim was taken over; the
                unit can only roll back.
        """
        transaction = self._current()
        if transaction.failed:
            raise RuntimeError("a statement of this unit of work failed: it can only roll back")
        # A unit that wrote nothing commits nothing: it neither needs the claim nor marks it.
        wrote = transaction.wrote or bool(transaction.pending)
        if self._fence is not None and wrote:
            claim, clock = self._fence
            fence = fence_statement(claim, clock.now())
            if not (await transaction.execute(fence)).rowcount:
                transaction.failed = True
                raise ConcurrencyConflictError(
                    "this request's Idempotency-Key claim was taken over; nothing was written"
                )
        await flush(transaction, last=True)
        # A unit that only sent direct statements never began one in SQLAlchemy: nothing to end.
        if transaction.connection.in_transaction():
            try:
                await transaction.connection.commit()
            except DBAPIError as error:
                transaction.failed = True
                translated = storage_error(error, transaction.dialect)
                if translated is None:
                    raise
                raise translated from error
        await transaction.autocommit()

    def _current(self) -> SqlTransaction:
        if self._transaction is None:
            raise RuntimeError("use the repositories inside `async with unit_of_work:`")
        return self._transaction
