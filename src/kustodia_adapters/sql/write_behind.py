"""Write-behind: rows a unit of work only writes wait, and are sent together in one round trip.

A use case writes an escrow's row and its new child rows, its ledger transactions, outbox
messages, notifications, events and audit records, and reads none of them back. Each would
otherwise be a statement and a round trip of its own. The repositories add them to
:class:`PendingWrites` instead, and :func:`flush` sends them at the commit, or before a
statement of the same unit that reads one of those tables (read-your-writes holds). What a
caller must know at call time stays at call time: the ledger's balance check and key lookup
(see :mod:`kustodia_adapters.sql.ledger`), a user's or dispute's optimistic update.

**PostgreSQL** sends everything in one statement: an ``INSERT ... SELECT FROM
json_to_recordset(...)`` per table, as data-modifying CTEs, with the table's rows as one JSON
parameter (see :func:`_record_set`); its text depends on
which tables have rows, not on how many, so each shape is compiled and prepared once per
connection. An escrow's optimistic ``UPDATE ... WHERE version = :read`` (or a new escrow's
``INSERT``) is one of those CTEs, and every insert is conditional on the update having
matched its row: an escrow another unit saved first makes the statement write nothing. Sent
at the commit of a unit that wrote nothing before, the statement is the whole transaction,
on its own, without ``BEGIN`` or ``COMMIT`` (see :mod:`kustodia_adapters.sql.session`).
**SQLite** (in process: a statement costs no round trip) writes aggregates at call time and
runs one ``executemany`` per table at the flush.

A database refusal found by the flush (a second settlement, a tracking key already recorded,
a duplicate event position, a ledger key or an overdraft a concurrent unit got to first, an
escrow another unit saved first) comes out of the statement that sent the rows, usually
``commit``, as the same port error it used to raise at the call that queued them; the unit
can then only roll back, and writes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs
import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import CTE, TableValuedAlias
from sqlalchemy.types import TypeDecorator

from kustodia_adapters.sql.direct import DirectStatement
from kustodia_adapters.sql.mappers.ledger import account_columns, posting_rows
from kustodia_adapters.sql.tables import (
    audit_pending,
    escrow_deposits,
    escrow_participants,
    escrow_payouts,
    escrow_settlements,
    escrows,
    events,
    ledger_balances,
    ledger_postings,
    ledger_transactions,
    notifications,
    outbox_messages,
)
from kustodia_adapters.sql.types import UtcDateTime, in_utc
from kustodia_adapters.sql.versions import VersionedUpdate, refuse_update, update_statement
from kustodia_domain.ledger.accounts import Account
from kustodia_domain.ledger.transactions import LedgerTransaction
from kustodia_domain.shared.errors import ConcurrencyConflictError

if TYPE_CHECKING:
    from kustodia_adapters.sql.session import SqlTransaction

Row = dict[str, Any]

_APPENDED: Final = (
    escrows,
    escrow_participants,
    escrow_deposits,
    escrow_payouts,
    escrow_settlements,
    notifications,
    events,
    audit_pending,
)
"""Tables whose pending rows are plain inserts, in the order they are sent.

Within one statement the order does not matter: foreign keys are checked at its end.
"""


@attrs.frozen(kw_only=True)
class PendingPost:
    """A ledger transaction that passed its checks and waits to be written.

    ``balances_read`` are the signed totals its check read (the accounts it draws down).
    """

    transaction: LedgerTransaction
    balances_read: Mapping[Account, int]


@attrs.define
class PendingWrites:
    """Writes queued by the repositories of one unit of work, not sent yet.

    At most one aggregate update waits (PostgreSQL only): a second one flushes the first.
    """

    rows: dict[str, list[Row]] = attrs.field(factory=dict)
    outbox: dict[str, Row] = attrs.field(factory=dict)
    posts: list[PendingPost] = attrs.field(factory=list)
    update: VersionedUpdate | None = None

    def __bool__(self) -> bool:
        return bool(self.rows or self.outbox or self.posts or self.update)

    def append(self, table: Table, rows: list[Row]) -> None:
        """Queue ``rows`` for ``table`` (one of the plain-insert tables)."""
        if rows:
            self.rows.setdefault(table.name, []).extend(rows)

    def enqueue(self, row: Row) -> None:
        """Queue an outbox message; a key queued earlier keeps its first message."""
        self.outbox.setdefault(row["key"], row)

    def changes(self) -> dict[Account, int]:
        """What the pending ledger transactions add to each account's signed total."""
        changes: dict[Account, int] = {}
        for post in self.posts:
            for posting in post.transaction.postings:
                change = changes.get(posting.account, 0) + posting.amount.amount_minor
                changes[posting.account] = change
        return changes

    def holds(self, *tables: Table) -> bool:
        """Whether writes to any of ``tables`` wait (a reader of them must flush first)."""
        names = {table.name for table in tables}
        if self.posts and names & _LEDGER_TABLES:
            return True
        if self.outbox and outbox_messages.name in names:
            return True
        if self.update is not None and self.update.table.name in names:
            return True
        return any(name in self.rows for name in names)

    def take(self) -> PendingWrites:
        """Everything pending, leaving this empty."""
        taken = PendingWrites(
            rows=self.rows, outbox=self.outbox, posts=self.posts, update=self.update
        )
        self.rows, self.outbox, self.posts, self.update = {}, {}, [], None
        return taken


_LEDGER_TABLES: Final = frozenset(
    {ledger_transactions.name, ledger_postings.name, ledger_balances.name}
)


async def flush(transaction: SqlTransaction, *, last: bool = False) -> None:
    """Send every pending write of ``transaction``; a no-op when nothing is pending.

    ``last``: the unit commits right after, so (PostgreSQL) a unit still outside a
    transaction sends the statement on its own, atomic by itself. Otherwise the unit's
    transaction is opened first: more statements follow.

    Raises:
        ConflictError: a unique constraint refused a row.
        ConcurrencyConflictError: the row was a second settlement or event position, a
            concurrent transaction wrote a pending ledger key or drew an account down first,
            or the pending escrow update found the escrow moved on.
        NotFoundError: the pending escrow update found no escrow.
    """
    # What the unit read of the ledger with an escrow is stale once the unit wrote.
    transaction.ledger_read.clear()
    if not transaction.pending:
        return
    transaction.wrote = True
    if not last:
        await transaction.begin()
    pending = transaction.pending.take()
    if transaction.dialect.writes_in_one_statement:
        claimed, updated = await _flush_in_one_statement(transaction, pending)
    else:
        claimed, updated = await _flush_per_table(transaction, pending), True
    if pending.update is not None and not updated:
        # Nothing of the statement was written, and nothing of this unit may be committed.
        transaction.failed = True
        await refuse_update(transaction, pending.update)
    if not claimed:
        transaction.failed = True
        raise ConcurrencyConflictError("a ledger key of this unit was posted concurrently")


async def update_from_read_version(transaction: SqlTransaction, change: VersionedUpdate) -> None:
    """Apply ``change`` now, or (PostgreSQL) queue it to go out with the unit's other writes.

    Raises:
        NotFoundError, ConcurrencyConflictError: when it is sent (see :func:`flush`).
    """
    if not transaction.dialect.writes_in_one_statement:
        if (await transaction.execute(change.statement, change.parameters)).first() is None:
            await refuse_update(transaction, change)
        return
    if transaction.pending.update is not None:
        await flush(transaction)
    transaction.pending.update = change


def _balance_rows(pending: PendingWrites) -> list[Row]:
    """One ``ledger_balances`` row per account posted to, with the proposed total and change.

    The proposed total (the total read, or zero for an account only added to, plus every
    pending change) is what a new row gets, and it passes the never-negative CHECK whenever
    the domain's check passed: ``INSERT ... ON CONFLICT`` checks the proposed row even when
    it ends up updating. An existing row gets the change added instead, so that an account
    another transaction changed meanwhile keeps that transaction's postings too.
    """
    read: dict[Account, int] = {}
    for post in pending.posts:
        for account, total in post.balances_read.items():
            read.setdefault(account, total)
    return [
        {
            "account": account.code,
            **account_columns(account),
            "total_minor": read.get(account, 0) + change,
            "change": change,
        }
        for account, change in sorted(pending.changes().items(), key=_by_code)
    ]


def _by_code(item: tuple[Account, int]) -> str:
    """Balance rows by their key; on PostgreSQL the statement's ``ORDER BY`` sets the lock order."""
    return item[0].code


def _transaction_row(transaction: LedgerTransaction) -> Row:
    return {
        "key": transaction.key,
        "escrow_id": transaction.escrow_id,
        "occurred_at": transaction.occurred_at,
        "description": transaction.description,
    }


def _posting_rows(transaction: LedgerTransaction) -> list[Row]:
    """The legs of ``transaction`` with its key (its id is not known before it is written)."""
    return [{**leg, "key": transaction.key} for leg in posting_rows(transaction)]


# ---------------------------------------------------------------- SQLite: a statement per table
_INSERTS: Final[dict[str, Insert]] = {table.name: insert(table) for table in _APPENDED}


async def _flush_per_table(transaction: SqlTransaction, pending: PendingWrites) -> bool:
    """``executemany`` per table; returns whether every pending ledger key was claimed."""
    for table in _APPENDED:
        rows = pending.rows.get(table.name)
        if rows:
            await transaction.execute(_INSERTS[table.name], rows)
    if pending.outbox:
        queue = transaction.dialect.upsert(outbox_messages).on_conflict_do_nothing(
            index_elements=[outbox_messages.c.key]
        )
        await transaction.execute(queue, list(pending.outbox.values()))
    if not pending.posts:
        return True
    legs = []
    for post in pending.posts:
        claim = (
            transaction.dialect.upsert(ledger_transactions)
            .values(_transaction_row(post.transaction))
            .on_conflict_do_nothing(index_elements=[ledger_transactions.c.key])
            .returning(ledger_transactions.c.id)
        )
        transaction_id = (await transaction.execute(claim)).scalar()
        if transaction_id is None:
            return False
        legs += [
            {**leg, "transaction_id": transaction_id} for leg in posting_rows(post.transaction)
        ]
    await transaction.execute(insert(ledger_postings), legs)
    add = transaction.dialect.upsert(ledger_balances)
    await transaction.execute(
        add.on_conflict_do_update(
            index_elements=[ledger_balances.c.account],
            set_={
                "total_minor": ledger_balances.c.total_minor + bindparam("change", type_=BigInteger)
            },
        ),
        _balance_rows(pending),
    )
    return True


# ---------------------------------------------------------------- PostgreSQL: one statement
class _JsonText(TypeDecorator[str]):
    """JSON text the caller serialised (:func:`_document`); the driver binds it as given."""

    impl = Text
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _record_set(prefix: str, columns: list[ColumnClause[Any]]) -> TableValuedAlias:
    """``json_to_recordset(:<prefix>_rows) AS <prefix>_rows(<name> <type>, ...)``.

    One JSON array of row objects per table (:func:`_document`), not one array per column:
    the driver encodes a text parameter at once where it checks every item of an array, and
    PostgreSQL plans the statement without seeing how many rows come (it takes a
    set-returning function's row count from its declaration, where it reads an array
    constant's length), so its generic plan costs what a custom one would and is kept instead
    of re-planning at every execution. Columns the objects lack are NULL; keys that name no
    column are ignored.
    """
    document = cast(bindparam(f"{prefix}_rows", type_=_JsonText()), JSON)
    return (
        func.json_to_recordset(document)
        .table_valued(*columns)
        .render_derived(with_types=True)
        .alias(f"{prefix}_rows")
    )


def _typed(table: Table, names: list[str]) -> list[ColumnClause[Any]]:
    """Columns named ``names``, typed as ``table``'s (for :func:`_record_set`)."""
    return [column(name, table.c[name].type) for name in names]


def _rows_of(table: Table, names: list[str], *, prefix: str) -> TableValuedAlias:
    """:func:`_record_set` of ``names``, typed as ``table``'s columns."""
    return _record_set(prefix, _typed(table, names))


def _selected(rows: TableValuedAlias, names: list[str]) -> list[Any]:
    return [rows.c[name] for name in names]


def _written_columns(table: Table) -> list[str]:
    """Every column ``table``'s rows are written with (not its own surrogate key)."""
    return [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]


_PLAIN_COLUMNS: Final = {table.name: _written_columns(table) for table in _APPENDED}
_OUTBOX_COLUMNS: Final = ["key", "topic", "payload", "created_at"]
_TRANSACTION_COLUMNS: Final = ["key", "escrow_id", "occurred_at", "description"]
_POSTING_COLUMNS: Final = ["leg", "account_kind", "account_owner", "currency", "amount_minor"]
_BALANCE_COLUMNS: Final = ["account", "account_kind", "account_owner", "currency", "total_minor"]
_LEDGER: Final = "ledger"
_OUTBOX: Final = "outbox"


@functools.cache
def _one_statement(
    parts: frozenset[str], update: tuple[Table, tuple[str, ...]] | None
) -> DirectStatement:
    """The pending writes of ``parts`` in one statement: data-modifying CTEs, one per table.

    ``parts`` names the plain-insert tables that have rows, ``"outbox"`` and ``"ledger"``, and
    ``update`` the table and columns of a pending aggregate update: a statement per
    combination (a handful: each use case queues the same kinds of rows), so nothing is bound
    or planned for tables with nothing to write. Data-modifying CTEs all run, to completion,
    whether or not the main query reads them; with an update, each insert selects its rows
    only if the update matched. The main query counts the rows updated, then those claimed.
    """
    updated = None if update is None else update_statement(*update).cte("updated")

    def guarded(rows: Select[Any]) -> Select[Any]:
        return rows if updated is None else rows.where(exists(select(updated.c.updated)))

    written: list[CTE] = [] if updated is None else [updated]
    for table in _APPENDED:
        if table.name not in parts:
            continue
        names = _PLAIN_COLUMNS[table.name]
        rows = _rows_of(table, names, prefix=table.name)
        source = guarded(select(*_selected(rows, names)))
        written.append(insert(table).from_select(names, source).cte(f"{table.name}_written"))
    if _OUTBOX in parts:
        rows = _rows_of(outbox_messages, _OUTBOX_COLUMNS, prefix=_OUTBOX)
        source = guarded(select(*_selected(rows, _OUTBOX_COLUMNS)))
        queue = postgresql.insert(outbox_messages).from_select(_OUTBOX_COLUMNS, source)
        written.append(
            queue.on_conflict_do_nothing(index_elements=[outbox_messages.c.key]).cte(
                "outbox_written"
            )
        )
    claimed = None
    if _LEDGER in parts:
        claimed = _claimed(guarded)
        written += _ledger_rows(claimed)
    # The update first: the escrow's row is locked before any balance, in every unit.
    counts = select(_count(updated).label("updated"), _count(claimed).label("claimed"))
    return DirectStatement(counts.add_cte(*written))


def _count(rows: CTE | None) -> Any:
    if rows is None:
        return literal(0)
    return select(func.count()).select_from(rows).scalar_subquery()


def _claimed(guarded: Any) -> CTE:
    """The ledger transactions' rows, ``RETURNING id, key``.

    A plain ``INSERT``: the keys were free when the unit checked them, so a key taken since
    is a concurrent writer's, and the unique violation fails the whole statement.
    """
    rows = _rows_of(ledger_transactions, _TRANSACTION_COLUMNS, prefix="txn")
    source = guarded(select(*_selected(rows, _TRANSACTION_COLUMNS)))
    return (
        insert(ledger_transactions)
        .from_select(_TRANSACTION_COLUMNS, source)
        .returning(ledger_transactions.c.id, ledger_transactions.c.key)
        .cte("claimed")
    )


def _ledger_rows(claimed: CTE) -> list[CTE]:
    """The postings of the claimed transactions and the balances (nothing if none claimed)."""
    rows = _record_set("leg", [column("key", Text()), *_typed(ledger_postings, _POSTING_COLUMNS)])
    legs = select(claimed.c.id, *(rows.c[name] for name in _POSTING_COLUMNS)).join_from(
        claimed, rows, claimed.c.key == rows.c.key
    )
    postings = (
        insert(ledger_postings)
        .from_select(["transaction_id", *_POSTING_COLUMNS], legs)
        .cte("legs_written")
    )
    balance_columns = [*_typed(ledger_balances, _BALANCE_COLUMNS), column("change", BigInteger())]
    changes = select(_record_set("bal", balance_columns))
    proposed = changes.cte("bal_changes")  # read twice: the rows to insert, and each change
    balances = (
        select(*(proposed.c[name] for name in _BALANCE_COLUMNS))
        .where(exists(select(claimed.c.id)))
        .order_by(proposed.c.account)  # rows are locked in account order, in every unit
    )
    change = (
        select(proposed.c.change)
        .where(proposed.c.account == literal_column("excluded.account"))
        .scalar_subquery()
    )
    upsert = (
        postgresql.insert(ledger_balances)
        .from_select(_BALANCE_COLUMNS, balances)
        .on_conflict_do_update(
            index_elements=[ledger_balances.c.account],
            set_={"total_minor": ledger_balances.c.total_minor + change},
        )
        .cte("balances_written")
    )
    return [postings, upsert]


@functools.cache
def _instants(table: Table) -> tuple[str, ...]:
    """``table``'s timestamp columns: checked for a time zone before they are sent."""
    return tuple(c.name for c in table.columns if isinstance(c.type, UtcDateTime))


def _document(rows: list[Row], table: Table) -> str:
    """``rows`` as one JSON array of objects, the parameter of :func:`_record_set`.

    Instants go out in ISO 8601 with their offset, documents as nested JSON.

    Raises:
        ValueError: an instant of ``table`` is naive (as :class:`UtcDateTime` refuses it).
    """
    for name in _instants(table):
        for row in rows:
            value = row.get(name)
            if value is not None:
                in_utc(value)  # only the refusal: orjson writes the offset either way
    return orjson.dumps(rows).decode()


async def _flush_in_one_statement(
    transaction: SqlTransaction, pending: PendingWrites
) -> tuple[bool, bool]:
    """Everything in one round trip: whether the ledger keys were claimed, the update applied."""
    parts = set(pending.rows)
    parameters: dict[str, Any] = {}
    for table in _APPENDED:
        rows = pending.rows.get(table.name)
        if rows:
            parameters[f"{table.name}_rows"] = _document(rows, table)
    if pending.outbox:
        parts.add(_OUTBOX)
        outbox = list(pending.outbox.values())
        parameters["outbox_rows"] = _document(outbox, outbox_messages)
    if pending.posts:
        parts.add(_LEDGER)
        heads = [_transaction_row(post.transaction) for post in pending.posts]
        legs = [leg for post in pending.posts for leg in _posting_rows(post.transaction)]
        balances = _balance_rows(pending)
        parameters["txn_rows"] = _document(heads, ledger_transactions)
        parameters["leg_rows"] = _document(legs, ledger_postings)
        parameters["bal_rows"] = _document(balances, ledger_balances)
    update = pending.update
    shape = None
    if update is not None:
        shape = (update.table, update.columns)
        parameters |= update.parameters
    statement = _one_statement(frozenset(parts), shape)
    (row,) = await transaction.fetch(statement, parameters)
    if update is not None and row["updated"] != 1:
        return True, False
    return row["claimed"] == len(pending.posts), True
