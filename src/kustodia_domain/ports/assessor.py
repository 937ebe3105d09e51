"""The dispute-assessor port and the history it needs."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from kustodia_domain.disputes.assessment import Assessment, AssessmentRequest, PartyHistory


class DisputeAssessor(Protocol):
    """Recommends an outcome for a dispute. Must always return a valid ``Assessment``."""

    @abstractmethod
    async def assess(self, request: AssessmentRequest, at: datetime) -> Assessment:
        """Assess ``request``; implementations fall back to the deterministic policy."""


class PartyHistoryReader(Protocol):
    """Reads a party's history as of a moment."""

    @abstractmethod
    async def history(self, user_id: str, as_of: datetime) -> PartyHistory:
        """What the platform knows of ``user_id`` at ``as_of``."""
