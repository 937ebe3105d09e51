"""Identifier generators: random for running systems, sequential for readable tests."""

from __future__ import annotations

import secrets
import uuid

from kustodia_domain.ports.clock import IdGenerator

_REFERENCE_FLOOR = 1_000_000
_REFERENCE_SPAN = 9_000_000
"""SPEI references here are 7 digits without a leading zero: 1000000-9999999."""


class UuidIdGenerator(IdGenerator):
    """``<prefix>_<uuid4 hex>`` ids and random 7-digit references."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex}"

    def new_reference(self) -> str:
        # Collisions are possible and expected to be rare: the escrow repository rejects a
        # duplicate reference and the use case asks again.
        return str(_REFERENCE_FLOOR + secrets.randbelow(_REFERENCE_SPAN))


class SequentialIdGenerator(IdGenerator):
    """Deterministic ids (``esc_000001``, counted per prefix) and references from ``1000001``."""

    def __init__(self, first_reference: int = _REFERENCE_FLOOR + 1) -> None:
        self._counters: dict[str, int] = {}
        self._next_reference = first_reference

    def new_id(self, prefix: str) -> str:
        count = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = count
        return f"{prefix}_{count:06d}"

    def new_reference(self) -> str:
        reference = self._next_reference
        self._next_reference += 1
        return f"{reference:07d}"
