"""Resolving payout destinations for an escrow's payee side."""

from __future__ import annotations

from kustodia_domain.escrow.directory import MissingPayoutAccountError, PayoutDirectory
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.ports.repositories import UserRepository
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import UserId


async def payout_directory(
    users: UserRepository, escrow: Escrow, treasury: Clabe
) -> PayoutDirectory:
    """The payee's and brokers' current payout CLABEs (missing ones are simply absent)."""
    accounts: dict[UserId, Clabe] = {}
    for user_id in (escrow.payee_id, *(c.broker_id for c in escrow.terms.commissions)):
        user = await users.get(user_id)
        if user.payout_account is not None:
            accounts[user_id] = user.payout_account.clabe
    return PayoutDirectory(accounts, treasury)


async def require_payout_accounts(users: UserRepository, user_ids: list[UserId]) -> None:
    """Every payee-side user must have a payout account before money can be owed to them.

    Raises:
        MissingPayoutAccountError: one of them has none.
    """
    for user_id in user_ids:
        if (await users.get(user_id)).payout_account is None:
            raise MissingPayoutAccountError(f"user {user_id} must set a payout account first")
