"""Base of past-tense domain events recorded on aggregates."""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.shared.immutable import immutable


@immutable
@attrs.frozen(kw_only=True)
class DomainEvent:
    """Something that happened to an aggregate, named in the past tense.

    ``aggregate_id`` names the aggregate, ``sequence`` numbers the aggregate's events (1-based,
    strictly increasing, never reused), ``occurred_at`` is the clock time of the command.
    """

    aggregate_id: str
    sequence: int
    occurred_at: datetime

    @property
    def name(self) -> str:
        """The event's type name, e.g. ``EscrowFunded``."""
        return type(self).__name__
