"""Users, unique by id, by e-mail (stored lower-case) and by deposit CLABE."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Select, bindparam, select

from kustodia_adapters.sql.mappers.users import user_from_row, user_values
from kustodia_adapters.sql.session import CurrentTransaction
from kustodia_adapters.sql.tables import users
from kustodia_adapters.sql.versions import insert_first_version, update_from_version
from kustodia_domain.identity.model import User
from kustodia_domain.ports.repositories import UserRepository
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import NotFoundError


class SqlUserRepository(UserRepository):
    """One statement per call; unique e-mail and deposit CLABE are enforced by the schema.

    ``get`` of a party of an escrow this unit read costs no statement: the escrow repository
    read the parties' rows with the escrow (see ``SqlTransaction.parties_read``).
    """

    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, user: User) -> None:
        transaction = self._transaction()
        await insert_first_version(transaction, users, user_values(user, version=1))
        transaction.parties_read.pop(user.id, None)
        user.version = 1

    async def save(self, user: User) -> None:
        transaction = self._transaction()
        values = user_values(user, version=user.version + 1)
        await update_from_version(transaction, users, values, read_at=user.version, kind="user")
        transaction.parties_read.pop(user.id, None)
        user.version += 1

    async def get(self, user_id: str) -> User:
        read_with_an_escrow = self._transaction().parties_read.get(user_id)
        if read_with_an_escrow is not None:
            return user_from_row(read_with_an_escrow)
        found = await self._one(_BY_ID, user_id)
        if found is None:
            raise NotFoundError("user", user_id)
        return found

    async def find_by_email(self, email: str) -> User | None:
        # The domain stores e-mails lower-cased (and a CHECK holds the table to it).
        return await self._one(_BY_EMAIL, email.strip().lower())

    async def find_by_deposit_clabe(self, clabe: Clabe) -> User | None:
        return await self._one(_BY_DEPOSIT_CLABE, clabe.value)

    async def _one(self, query: Select[Any], value: str) -> User | None:
        result = await self._transaction().execute(query, {"value": value})
        row = result.mappings().first()
        return None if row is None else user_from_row(row)


# Built once, the value bound at execution.
_BY_ID: Final = select(users).where(users.c.id == bindparam("value"))
_BY_EMAIL: Final = select(users).where(users.c.email == bindparam("value"))
_BY_DEPOSIT_CLABE: Final = select(users).where(users.c.deposit_clabe == bindparam("value"))
