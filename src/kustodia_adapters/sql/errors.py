"""Translating database errors into the ports' errors, at the adapter edge.

A unique violation is a ``ConflictError`` (the thing exists); on the tables where a duplicate
can only come from two writers of the same aggregate version it is a
``ConcurrencyConflictError``, as is every lost race the database reports, so callers can tell
"retry" from "refused". Text PostgreSQL cannot store (U+0000) is a ``ValidationError``: the
edges refuse it first, and this is the last line for text that reached the database another
way. Anything else is a bug and propagates unchanged.
"""

from __future__ import annotations

from typing import Final

from kustodia_adapters.sql.dialects import SqlDialect
from kustodia_domain.shared.errors import (
    ConcurrencyConflictError,
    ConflictError,
    KustodiaError,
    ValidationError,
)

_RACE_TABLES: Final = {
    "escrow_settlements": "escrow was settled by another transaction",
    "events": "another transaction stored an event at the same position of this aggregate",
    "ledger_transactions": "another transaction posted a ledger key of this unit first",
}
"""Tables whose unique keys are only ever hit twice by concurrent writers.

A ledger key is checked when it is posted and written at the flush: a key taken in between
was taken by a concurrent unit.
"""


def storage_error(error: Exception, dialect: SqlDialect) -> KustodiaError | None:
    """The port-level error ``error`` stands for, or ``None`` if it is not a known refusal.

    ``error`` is SQLAlchemy's ``DBAPIError``, or asyncpg's own error from a statement sent
    without SQLAlchemy (:mod:`kustodia_adapters.sql.direct`).
    """
    if dialect.is_lost_race(error):
        return ConcurrencyConflictError(
            "a concurrent transaction changed the same data first; nothing was written"
        )
    if dialect.is_unstorable_text(error):
        return ValidationError("text may not contain U+0000 (NUL)", field="text")
    table = dialect.unique_violation_table(error)
    if table is None:
        return None
    if table in _RACE_TABLES:
        return ConcurrencyConflictError(_RACE_TABLES[table])
    return ConflictError(f"{table or 'a row'} already holds this unique value")
