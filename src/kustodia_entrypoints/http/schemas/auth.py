"""Auth and profile bodies."""

from __future__ import annotations

import attrs

from kustodia_domain.identity.model import User


@attrs.frozen(kw_only=True)
class RegisterIn:
    email: str
    password: str
    full_name: str


@attrs.frozen(kw_only=True)
class LoginIn:
    email: str
    password: str


@attrs.frozen(kw_only=True)
class RefreshIn:
    refresh_token: str


@attrs.frozen(kw_only=True)
class TokensOut:
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


@attrs.frozen(kw_only=True)
class UserOut:
    id: str
    email: str
    full_name: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, full_name=user.full_name, role=user.role.value)


@attrs.frozen(kw_only=True)
class PayoutAccountIn:
    clabe: str
    holder_name: str


@attrs.frozen(kw_only=True)
class PayoutAccountOut:
    clabe: str
    holder_name: str


@attrs.frozen(kw_only=True)
class MeOut:
    """The caller's own profile: never a password hash or a token."""

    id: str
    email: str
    full_name: str
    role: str
    kyc_level: str
    deposit_clabe: str
    payout_account: PayoutAccountOut | None

    @classmethod
    def of(cls, user: User) -> MeOut:
        account = user.payout_account
        return cls(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role.value,
            kyc_level=user.kyc_level.value,
            deposit_clabe=user.deposit_clabe.value,
            payout_account=None
            if account is None
            else PayoutAccountOut(clabe=account.clabe.value, holder_name=account.holder_name),
        )
