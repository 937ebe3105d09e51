"""Password hashes, login throttles and refresh-token families."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from kustodia_adapters.sql.mappers import Row
from kustodia_adapters.sql.standalone import own_transaction
from kustodia_adapters.sql.tables import login_throttles, password_hashes, refresh_tokens
from kustodia_domain.identity.credentials import LoginThrottle, RefreshToken
from kustodia_domain.ports.credentials import CredentialStore
from kustodia_domain.shared.time import ensure_utc

_hashes = password_hashes.c
_throttles = login_throttles.c
_tokens = refresh_tokens.c


class SqlCredentialStore(CredentialStore):
    """One statement per call.

    ``mark_used`` is ``UPDATE ... WHERE used_at IS NULL``: of concurrent uses exactly one
    changes the row (on PostgreSQL the others wait for its row lock, then find it used).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def set_password_hash(self, user_id: str, hashed: str) -> None:
        async with own_transaction(self._engine) as transaction:
            statement = (
                transaction.dialect.upsert(password_hashes)
                .values(user_id=user_id, password_hash=hashed)
                .on_conflict_do_update(
                    index_elements=[_hashes.user_id], set_={"password_hash": hashed}
                )
            )
            await transaction.execute(statement)

    async def password_hash(self, user_id: str) -> str | None:
        query = select(_hashes.password_hash).where(_hashes.user_id == user_id)
        async with own_transaction(self._engine) as transaction:
            hashed: str | None = (await transaction.execute(query)).scalar()
        return hashed

    async def throttle(self, email: str) -> LoginThrottle:
        query = select(_throttles.failures, _throttles.locked_until).where(
            _throttles.email == email.lower()
        )
        async with own_transaction(self._engine) as transaction:
            row = (await transaction.execute(query)).mappings().first()
        if row is None:
            return LoginThrottle()
        return LoginThrottle(failures=row["failures"], locked_until=row["locked_until"])

    async def save_throttle(self, email: str, throttle: LoginThrottle) -> None:
        values = {"failures": throttle.failures, "locked_until": throttle.locked_until}
        async with own_transaction(self._engine) as transaction:
            statement = (
                transaction.dialect.upsert(login_throttles)
                .values(email=email.lower(), **values)
                .on_conflict_do_update(index_elements=[_throttles.email], set_=values)
            )
            await transaction.execute(statement)

    async def add_refresh_token(self, token: RefreshToken) -> None:
        """Raises ``ConflictError`` if a token with this id is stored (ids are never reused)."""
        row = {
            "token_id": token.token_id,
            "family_id": token.family_id,
            "user_id": token.user_id,
            "secret_sha256": token.secret_sha256,
            "issued_at": token.issued_at,
            "expires_at": token.expires_at,
            "used_at": token.used_at,
            "revoked_at": token.revoked_at,
        }
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(insert(refresh_tokens).values(row))

    async def refresh_token(self, token_id: str) -> RefreshToken | None:
        query = select(refresh_tokens).where(_tokens.token_id == token_id)
        async with own_transaction(self._engine) as transaction:
            row = (await transaction.execute(query)).mappings().first()
        return None if row is None else _token_of(row)

    async def mark_used(self, token_id: str, at: datetime) -> bool:
        statement = (
            update(refresh_tokens)
            .where(_tokens.token_id == token_id, _tokens.used_at.is_(None))
            .values(used_at=ensure_utc(at))
        )
        async with own_transaction(self._engine) as transaction:
            changed = (await transaction.execute(statement)).rowcount
        return changed == 1

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        statement = (
            update(refresh_tokens)
            .where(_tokens.family_id == family_id, _tokens.revoked_at.is_(None))
            .values(revoked_at=ensure_utc(at))
        )
        async with own_transaction(self._engine) as transaction:
            await transaction.execute(statement)


def _token_of(row: Row) -> RefreshToken:
    return RefreshToken(
        token_id=row["token_id"],
        family_id=row["family_id"],
        user_id=row["user_id"],
        secret_sha256=row["secret_sha256"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
    )
