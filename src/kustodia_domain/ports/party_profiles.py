"""Port of the versioned party profiles the fraud engine reads as of each event.

Defined in :mod:`kustodia_domain.fraud.profiles` (the engine, a lower ring, calls it) and
re-exported here with the other ports. Identity use cases save a new version whenever KYC
status or level, RFC/CURP, contact data, payout CLABE or lost disputes change.
"""

from __future__ import annotations

from kustodia_domain.fraud.profiles import KycStatus, PartyProfile, PartyProfiles

__all__ = ["KycStatus", "PartyProfile", "PartyProfiles"]
