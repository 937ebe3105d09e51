"""Port of the block/watch/external lists the fraud engine checks identifiers against.

Defined in :mod:`kustodia_domain.fraud.lists` (the engine, a lower ring, calls it) and
re-exported here with the other ports.
"""

from __future__ import annotations

from kustodia_domain.fraud.lists import Identifier, ListEntry, ListKind, ListName, RiskLists

__all__ = ["Identifier", "ListEntry", "ListKind", "ListName", "RiskLists"]
