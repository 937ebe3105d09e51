"""Who counts as staff: admins act, compliance officers read the back office."""

from __future__ import annotations

from kustodia_domain.identity.model import Role, User
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ForbiddenError, NotFoundError

READERS = frozenset({Role.ADMIN, Role.COMPLIANCE})
"""Roles that may read the back office (search, analytics, alerts, audit, reconciliation)."""
ACTORS = frozenset({Role.ADMIN})
"""Roles that may change things through the back office."""


async def require_role(uow: UnitOfWork, user_id: str, roles: frozenset[Role]) -> User:
    """The user, if their stored role is one of ``roles``, whatever the edge already checked.

    Raises:
        ForbiddenError: the user has another role or does not exist.
    """
    try:
        user = await uow.users.get(user_id)
    except NotFoundError:
        raise ForbiddenError("this needs a staff role") from None
    if user.role not in roles:
        raise ForbiddenError("this needs a staff role")
    return user
