"""Users, unique by id, by e-mail (stored lower-case) and by deposit CLABE."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from kustodia_adapters.sql.mappers.users import user_from_row, user_values
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import users
from kustodia_adapters.sql.versions import insert_first_version, update_from_version
from kustodia_domain.identity.model import User
from kustodia_domain.ports.repositories import UserRepository
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError


class SqlUserRepository(UserRepository):
    """One statement per call; unique e-mail and deposit CLABE are enforced by the schema."""

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, user: User) -> None:
        await insert_first_version(self._transaction(), users, user_values(user, version=1))
        user.version = 1

    async def save(self, user: User) -> None:
        values = user_values(user, version=user.version + 1)
        await update_from_version(
            self._transaction(), users, values, read_at=user.version, kind="user"
        )
        user.version += 1

    async def get(self, user_id: str) -> User:
        found = await self._one(users.c.id == user_id)
        if found is None:
            raise NotFoundError("user", user_id)
        return found

    async def find_by_email(self, email: str) -> User | None:
        # The domain stores e-mails lower-cased (and a CHECK holds the table to it).
        return await self._one(users.c.email == email.strip().lower())

    async def find_by_deposit_clabe(self, clabe: Clabe) -> User | None:
        return await self._one(users.c.deposit_clabe == clabe.value)

    async def _one(self, where: ColumnElement[Any]) -> User | None:
        result = await self._transaction().execute(select(users).where(where))
        row = result.mappings().first()
        return None if row is None else user_from_row(row)
