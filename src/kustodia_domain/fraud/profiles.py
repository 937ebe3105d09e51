"""What the engine knows about a party that is not on the event, versioned by time.

Profiles are saved as versions (``valid_from``) and read *as of* an event's time, so a replay
sees the KYC level, the payout CLABE and the lost disputes that were true then.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Protocol

import attrs

from kustodia_domain.fraud.lists import Identifier, ListKind, aware, identifier


class KycStatus(StrEnum):
    """Where the party's identity verification stands."""

    NONE = "none"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


@attrs.frozen(kw_only=True)
class PartyProfile:
    """A version of a party's risk-relevant data, true from ``valid_from`` until the next one.

    Invariants: every timestamp is timezone-aware (``ValidationError`` otherwise);
    ``kyc_level`` is 1..4 (N1..N4, N4 has no monthly cap). The profile is immutable:
    collections are tuples.
    """

    party_id: str
    valid_from: datetime = attrs.field(validator=aware)
    created_at: datetime = attrs.field(validator=aware)
    """When the account was created (account age is measured from here)."""
    kyc_status: KycStatus = KycStatus.NONE
    kyc_level: int = attrs.field(default=1, validator=attrs.validators.in_(range(1, 5)))
    kyc_name: str | None = None
    rfc: str | None = None
    curp: str | None = None
    email: str | None = None
    phone: str | None = None
    is_business: bool = False
    payout_clabe: str | None = None
    payout_clabe_changed_at: datetime | None = attrs.field(default=None, validator=aware)
    registered_clabes: tuple[str, ...] = ()
    """CLABEs the party proved it holds (funding from elsewhere is third-party funding)."""
    disputes_lost_at: tuple[datetime, ...] = attrs.field(default=(), validator=aware)
    """When each dispute the party lost was decided."""

    @cached_property
    def identifiers(self) -> frozenset[Identifier]:
        """User id, RFC, CURP, e-mail, phone and CLABEs, normalised for list lookups."""
        pairs = (
            (ListKind.USER, self.party_id),
            (ListKind.RFC, self.rfc),
            (ListKind.CURP, self.curp),
            (ListKind.EMAIL, self.email),
            (ListKind.PHONE, self.phone),
            (ListKind.CLABE, self.payout_clabe),
            *((ListKind.CLABE, clabe) for clabe in self.registered_clabes),
        )
        return frozenset(identifier(kind, value) for kind, value in pairs if value)


class PartyProfiles(Protocol):
    """Versioned party profiles, read as of a moment."""

    @abstractmethod
    async def save(self, profile: PartyProfile) -> None:
        """Store a new version; it applies from ``profile.valid_from`` on."""

    @abstractmethod
    async def profile_as_of(self, party_id: str, at: datetime) -> PartyProfile | None:
        """The latest version with ``valid_from <= at``, or ``None`` if there is none."""
