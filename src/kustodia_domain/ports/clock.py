"""Time and identity ports: the domain never reads the wall clock or makes up ids itself."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time, always timezone-aware UTC."""

    @abstractmethod
    def now(self) -> datetime:
        """The current instant (UTC)."""


class IdGenerator(Protocol):
    """New identifiers and escrow payment references."""

    @abstractmethod
    def new_id(self, prefix: str) -> str:
        """A new unique id such as ``esc_...``; ``prefix`` names the kind of thing."""

    @abstractmethod
    def new_reference(self) -> str:
        """A new 7-digit numeric SPEI reference (uniqueness is checked by the repository)."""
