"""Visibility: only parties, brokers and admins may know an escrow or dispute exists."""

from __future__ import annotations

from kustodia_domain.disputes.model import Dispute
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ForbiddenError, NotFoundError


async def visible_escrow(
    uow: UnitOfWork, escrow_id: str, actor_id: str, *, is_admin: bool = False
) -> Escrow:
    """The escrow if ``actor_id`` may see it.

    ``is_admin`` is a claim the caller makes; it is checked against the stored role.

    Raises:
        NotFoundError: it does not exist, or the actor may not know that it does.
        ForbiddenError: ``is_admin`` is claimed by a user who is not an admin.
    """
    if is_admin:
        await require_admin(uow, actor_id)
    escrow = await uow.escrows.get(escrow_id)
    if not (is_admin or escrow.involves(actor_id)):
        raise NotFoundError("escrow", escrow_id)
    return escrow


async def visible_dispute(
    uow: UnitOfWork, dispute_id: str, actor_id: str, *, is_admin: bool = False
) -> Dispute:
    """The dispute if ``actor_id`` is a party or a (verified) admin; otherwise ``NotFoundError``.

    Raises:
        ForbiddenError: ``is_admin`` is claimed by a user who is not an admin.
    """
    if is_admin:
        await require_admin(uow, actor_id)
    dispute = await uow.disputes.get(dispute_id)
    if dispute.role_of(actor_id, is_admin=is_admin) is None:
        raise NotFoundError("dispute", dispute_id)
    return dispute


async def require_admin(uow: UnitOfWork, user_id: str) -> None:
    """Admin-only use cases check the role themselves, whatever the edge already checked.

    Raises:
        ForbiddenError: the user is not an admin (or does not exist).
    """
    try:
        user = await uow.users.get(user_id)
    except NotFoundError:
        raise ForbiddenError("only admins may do this") from None
    if not user.is_admin:
        raise ForbiddenError("only admins may do this")
