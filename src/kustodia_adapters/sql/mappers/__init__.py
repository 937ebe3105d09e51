"""Explicit row <-> domain mapping, one module per aggregate (and one for the ledger).

Columns hold what is queried or constrained; each aggregate's nested parts travel as one JSON
document through :data:`CONVERTER`, the project converter
(:func:`kustodia_adapters.serialization.make_converter`). Aggregates are rebuilt through their
own constructors, so attrs validators run on the way in and a loaded object shares state with
nothing. Pending events are never stored.
"""

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import RowMapping

from kustodia_adapters.serialization import make_converter

CONVERTER: Final = make_converter()
"""Built once: a converter is immutable after set-up and costly to build per call."""

Row = RowMapping | Mapping[str, Any]
"""A result row read by column name (SQLAlchemy's ``RowMapping``, or a ``dict`` of one)."""
