"""Identifier types. Ids are opaque strings created by the ``IdGenerator`` port."""

from __future__ import annotations

from typing import NewType

UserId = NewType("UserId", str)
EscrowId = NewType("EscrowId", str)
DisputeId = NewType("DisputeId", str)
PayoutId = NewType("PayoutId", str)
EventId = NewType("EventId", str)
