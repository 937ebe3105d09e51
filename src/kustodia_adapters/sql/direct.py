"""Hot statements sent straight through asyncpg on PostgreSQL, compiled once by SQLAlchemy.

A statement executed through SQLAlchemy's asyncio layer costs about 0.1 ms of Python per call
on top of the driver (the cache lookup, parameter processing, a greenlet switch each way, the
result object), as much as its round trip on a loopback connection. The statements of the hot
path (an escrow read with its parties and its ledger state, the ledger's read before posting
when the escrow's read did not bring what it needs, the write-behind flush) run thousands of
times a second, so on PostgreSQL they skip that layer:
:class:`DirectStatement` compiles the SQLAlchemy construct once for the asyncpg dialect and
keeps its SQL text, the order of its parameters and SQLAlchemy's own bind and result
converters for its columns; executing it is asyncpg's ``fetch`` of that text (prepared once per
connection by asyncpg's statement cache) and those converters. What comes back is exactly what
SQLAlchemy would have returned, as a ``dict`` per row.

The statements stay SQLAlchemy constructs, built from the tables' metadata: SQLite, and a
PostgreSQL unit inside ``BEGIN`` (whose transaction SQLAlchemy's adapter opens lazily, at its
next statement), execute them through SQLAlchemy as before (see
:meth:`kustodia_adapters.sql.session.SqlTransaction.fetch`).

Limits: no expanding (``IN``) parameters (use ``= ANY(:array)``), no ``executemany``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, cast

import orjson
from sqlalchemy import ClauseElement, Executable
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.compiler import SQLCompiler

Converter = Callable[[Any], Any]
_MISSING: Final = object()

_DIALECT: Final = asyncpg_dialect(  # type: ignore[no-untyped-call]
    json_serializer=lambda value: orjson.dumps(value).decode(), json_deserializer=orjson.loads
)
"""Compiles as the engine's dialect does (:func:`kustodia_adapters.sql.engine.create_engine`)."""


class DirectStatement:
    """A SQLAlchemy statement with what asyncpg needs to run it without SQLAlchemy.

    Args:
        statement: a ``SELECT``, or a statement whose main query returns rows. A parameter
            built with a value (``literal``, ``bindparam(value=...)``) keeps it unless given
            another at execution; every other one must be given.

    Raises:
        ValueError: the statement has expanding parameters or positional ones SQLAlchemy
            would render itself (literal binds); build it with ``= ANY(:array)`` instead.
    """

    __slots__ = ("_binders", "_columns", "_converted", "_names", "sql", "statement")

    def __init__(self, statement: Executable) -> None:
        compiled = cast("ClauseElement", statement).compile(dialect=_DIALECT)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise ValueError("not a positional SQL statement")
        if any(parameter.expanding for parameter in compiled.binds.values()):
            raise ValueError("expanding parameters are rendered per call; use = ANY(:array)")
        self.statement = statement
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup)
        processors = compiled._bind_processors  # noqa: SLF001 - SQLAlchemy's own converters
        self._binders: tuple[tuple[str, Converter | None, Any], ...] = tuple(
            (
                name,
                cast("Converter | None", processors.get(name)),
                _MISSING if compiled.binds[name].required else compiled.binds[name].effective_value,
            )
            for name in self._names
        )
        readers = [
            (column.keyname, column.type._cached_result_processor(_DIALECT, None))  # noqa: SLF001
            for column in compiled._result_columns  # noqa: SLF001
        ]
        self._columns: tuple[str, ...] = tuple(name for name, _ in readers)
        self._converted: tuple[tuple[str, Converter], ...] = tuple(
            (name, reader) for name, reader in readers if reader is not None
        )

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The positional values of ``parameters``, converted as SQLAlchemy would bind them.

        Raises:
            KeyError: a parameter of the statement without a value of its own has none.
        """
        values = []
        for name, binder, default in self._binders:
            value = parameters[name] if default is _MISSING else parameters.get(name, default)
            values.append(value if binder is None else binder(value))
        return values

    def rows(self, records: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """Records from asyncpg, as SQLAlchemy's result mappings would read: column to value."""
        columns, converted = self._columns, self._converted
        rows = []
        for record in records:
            row = dict(zip(columns, record, strict=True))
            for name, reader in converted:  # most columns need no conversion
                value = row[name]
                if value is not None:
                    row[name] = reader(value)
            rows.append(row)
        return rows
