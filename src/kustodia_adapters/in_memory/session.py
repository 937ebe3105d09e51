"""How a repository reaches the transaction of the unit of work it belongs to."""

from __future__ import annotations

from collections.abc import Callable

from kustodia_adapters.in_memory.store import Transaction

CurrentTransaction = Callable[[], Transaction]
"""Returns the open transaction, or raises ``RuntimeError`` outside ``async with uow``."""
