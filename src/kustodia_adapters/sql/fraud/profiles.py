"""Versioned party profiles, read as of a moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.fraud import profile_from_row, profile_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import party_profiles
from kustodia_adapters.sql.upserts import insert_or_replace
from kustodia_domain.fraud.profiles import PartyProfile
from kustodia_domain.ports.party_profiles import PartyProfiles
from kustodia_domain.shared.time import ensure_utc

_p = party_profiles.c


class SqlPartyProfiles(PartyProfiles):
    """One statement per call; "as of" is one backward step of the primary key.

    A version saved again for the same party and ``valid_from`` replaces the earlier one (in
    memory both are kept, but the later save wins every read, so no read can tell).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, profile: PartyProfile) -> None:
        async with own_transaction(self._engine) as transaction:
            await insert_or_replace(
                transaction,
                party_profiles,
                profile_values(profile),
                key=("party_id", "valid_from"),
            )

    async def profile_as_of(self, party_id: str, at: datetime) -> PartyProfile | None:
        query = (
            select(party_profiles)
            .where(_p.party_id == party_id, _p.valid_from <= ensure_utc(at))
            .order_by(_p.valid_from.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else profile_from_row(row)
