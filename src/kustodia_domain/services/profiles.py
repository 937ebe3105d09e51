"""A user's own profile."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.identity.model import User
from kustodia_domain.ports.unit_of_work import UnitOfWork


@attrs.frozen
class Profiles:
    """Reads users by id (the edge shows a user only their own profile)."""

    uow: Callable[[], UnitOfWork]

    async def get(self, user_id: str) -> User:
        """Raises NotFoundError."""
        async with self.uow() as uow:
            return await uow.users.get(user_id)
