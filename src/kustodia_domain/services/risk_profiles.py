"""Keeping the fraud engine's party profiles current, one version per change.

A version is valid from the moment of the change, so the engine reads, as of any event, what was
true then. The user's full name counts as the KYC name only once a KYC level has been verified:
before that it is a claim, and comparing SPEI sender names against it would hold honest deposits.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from kustodia_domain.fraud.profiles import KycStatus, PartyProfile, PartyProfiles
from kustodia_domain.identity.model import KycLevel, User

_LEVELS = {KycLevel.N1: 1, KycLevel.N2: 2, KycLevel.N3: 3, KycLevel.N4: 4}


def first_profile(user: User) -> PartyProfile:
    """What a newly registered user's profile says: unverified, level N1, no payout account."""
    account = user.payout_account
    return PartyProfile(
        party_id=user.id,
        valid_from=user.created_at,
        created_at=user.created_at,
        kyc_level=_LEVELS[user.kyc_level],
        email=user.email,
        payout_clabe=None if account is None else account.clabe.value,
        payout_clabe_changed_at=user.payout_account_changed_at,
    )


@attrs.frozen
class ProfileKeeper:
    """Saves a new profile version whenever something the rules read about a user changes."""

    profiles: PartyProfiles

    async def registered(self, user: User) -> None:
        """A user registered: the first version, valid from the account's creation."""
        await self.profiles.save(first_profile(user))

    async def payout_account_changed(self, user: User, at: datetime) -> None:
        """The user's payout CLABE changed at ``at``."""
        account = user.payout_account
        current = await self._current(user, at)
        await self.profiles.save(
            attrs.evolve(
                current,
                valid_from=at,
                payout_clabe=None if account is None else account.clabe.value,
                payout_clabe_changed_at=at,
            )
        )

    async def kyc_verified(self, user: User, at: datetime) -> None:
        """The KYC provider verified the user at ``user.kyc_level`` (and so their name)."""
        current = await self._current(user, at)
        await self.profiles.save(
            attrs.evolve(
                current,
                valid_from=at,
                kyc_status=KycStatus.VERIFIED,
                kyc_level=_LEVELS[user.kyc_level],
                kyc_name=user.full_name,
            )
        )

    async def dispute_lost(self, user: User, at: datetime) -> None:
        """A dispute was decided against ``user`` at ``at``."""
        current = await self._current(user, at)
        await self.profiles.save(
            attrs.evolve(current, valid_from=at, disputes_lost_at=(*current.disputes_lost_at, at))
        )

    async def _current(self, user: User, at: datetime) -> PartyProfile:
        # Users registered before profiles were kept start from what their record says.
        return await self.profiles.profile_as_of(user.id, at) or first_profile(user)
