"""Users, unique by id, by e-mail (case-insensitive) and by deposit CLABE."""

from __future__ import annotations

from kustodia_adapters.in_memory.session import CurrentTransaction
from kustodia_adapters.in_memory.store import StoreState, detached
from kustodia_adapters.in_memory.versions import fetch, insert, update
from kustodia_domain.identity.model import User
from kustodia_domain.ports.repositories import UserRepository
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ConflictError


def _check_unique(state: StoreState, user: User) -> None:
    email = user.email.lower()
    for other in state.users.values():
        if other.id == user.id:
            continue
        if other.email.lower() == email:
            raise ConflictError(f"e-mail {email} is already registered")
        # A deposit CLABE identifies its owner when money arrives, so it must be unique too.
        if other.deposit_clabe == user.deposit_clabe:
            raise ConflictError(f"deposit CLABE {user.deposit_clabe.masked()} is taken")


class InMemoryUserRepository(UserRepository):
    def __init__(self, transaction: CurrentTransaction) -> None:
        self._transaction = transaction

    async def add(self, user: User) -> None:
        row = detached(user)

        def change(state: StoreState) -> None:
            if row.id in state.users:
                raise ConflictError(f"user {row.id} already exists")
            _check_unique(state, row)
            insert(state.users, row)

        self._transaction().write(change)
        user.version = 1

    async def save(self, user: User) -> None:
        row = detached(user)

        def change(state: StoreState) -> None:
            _check_unique(state, row)
            update(state.users, row, "user")

        self._transaction().write(change)
        user.version += 1

    async def get(self, user_id: str) -> User:
        return fetch(self._transaction().state.users, user_id, "user")

    async def find_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        users = self._transaction().state.users
        return next((detached(u) for u in users.values() if u.email.lower() == wanted), None)

    async def find_by_deposit_clabe(self, clabe: Clabe) -> User | None:
        users = self._transaction().state.users
        return next((detached(u) for u in users.values() if u.deposit_clabe == clabe), None)
