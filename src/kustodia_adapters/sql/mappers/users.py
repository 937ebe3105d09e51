"""``users`` rows <-> :class:`~kustodia_domain.identity.model.User`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kustodia_adapters.sql.mappers import Row
from kustodia_domain.identity.model import KycLevel, PayoutAccount, Role, User
from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.ids import UserId


def user_values(user: User, *, version: int) -> dict[str, Any]:
    """The ``users`` row of ``user`` stored at ``version``."""
    account = user.payout_account
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role.value,
        "kyc_level": user.kyc_level.value,
        "deposit_clabe": user.deposit_clabe.value,
        "payout_clabe": None if account is None else account.clabe.value,
        "payout_holder_name": None if account is None else account.holder_name,
        "payout_account_changed_at": user.payout_account_changed_at,
        "created_at": user.created_at,
        "version": version,
    }


def user_from_row(row: Row | Mapping[str, Any]) -> User:
    """The user stored in ``row`` (a result row, or a dict of its columns)."""
    clabe = row["payout_clabe"]
    return User(
        id=UserId(row["id"]),
        email=row["email"],
        full_name=row["full_name"],
        role=Role(row["role"]),
        kyc_level=KycLevel(row["kyc_level"]),
        deposit_clabe=Clabe(row["deposit_clabe"]),
        payout_account=None
        if clabe is None
        else PayoutAccount(Clabe(clabe), row["payout_holder_name"]),
        payout_account_changed_at=row["payout_account_changed_at"],
        created_at=row["created_at"],
        version=row["version"],
    )
