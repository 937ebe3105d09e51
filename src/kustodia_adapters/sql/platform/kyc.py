"""The KYC sessions the platform opened, each settled at most once."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers.kyc import pending_values, session_from_row, session_values
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import kyc_sessions
from kustodia_domain.ports.kyc import KycSessionRecord, KycSessions, KycStatus

_s = kyc_sessions.c


class SqlKycSessions(KycSessions):
    """One statement per call, looked up by the provider's session id (the primary key).

    ``settle`` is ``UPDATE ... WHERE session_id = :id AND status = 'pending'``: of concurrent
    settlements exactly one changes the row (on PostgreSQL the others wait for its row lock,
    then find the session settled; SQLite has one writer at a time).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, record: KycSessionRecord) -> None:
        """Raises ``ConflictError`` if a session with this id is stored (it is never replaced)."""
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(insert(kyc_sessions).values(session_values(record)))

    async def get(self, session_id: str) -> KycSessionRecord | None:
        query = select(kyc_sessions).where(_s.session_id == session_id)
        async with own_transaction(self._engine) as transaction:
            row = (await transaction.execute(query)).mappings().first()
        return None if row is None else session_from_row(row)

    async def settle(self, settled: KycSessionRecord) -> bool:
        """Replace the whole pending record; ``False`` (nothing written) if settled or unknown."""
        values = session_values(settled)
        del values["session_id"]
        statement = (
            update(kyc_sessions)
            .where(_s.session_id == settled.session_id, _s.status == KycStatus.PENDING.value)
            .values(values)
        )
        async with own_transaction(self._engine) as transaction:
            changed = (await transaction.execute(statement)).rowcount
        return changed == 1

    async def reopen(self, session_id: str) -> None:
        """Clears the verdict; a session never opened is left alone (there is nothing to retry)."""
        statement = update(kyc_sessions).where(_s.session_id == session_id).values(pending_values())
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(statement)
