"""Optimistic versions: insert at version 1, update only from the version that was read."""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping

from kustodia_adapters.in_memory.store import V
from kustodia_domain.shared.errors import ConcurrencyConflictError, NotFoundError


def fetch(table: Mapping[str, V], key: str, kind: str) -> V:
    """A copy of the stored aggregate, so the caller can never change the store by accident.

    Raises:
        NotFoundError: nothing is stored under ``key``.
    """
    try:
        return copy.deepcopy(table[key])
    except KeyError:
        raise NotFoundError(kind, key) from None


def insert(table: MutableMapping[str, V], row: V) -> None:
    """Store a copy of ``row`` at version 1 (the caller checked uniqueness)."""
    stored = copy.deepcopy(row)
    stored.version = 1
    table[row.id] = stored


def update(table: MutableMapping[str, V], row: V, kind: str) -> None:
    """Store a copy of ``row`` one version up, if the stored version is the one it was read at.

    Raises:
        NotFoundError: ``row`` was never added.
        ConcurrencyConflictError: someone saved it since it was read; nothing is written.
    """
    current = table.get(row.id)
    if current is None:
        raise NotFoundError(kind, row.id)
    if current.version != row.version:
        raise ConcurrencyConflictError(
            f"{kind} {row.id} is at version {current.version}, not {row.version}"
        )
    stored = copy.deepcopy(row)
    stored.version = row.version + 1
    table[row.id] = stored
