"""Registration, login and refresh-token rotation; the caller's own profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody

from kustodia_domain.services.auth import Session, SignUp
from kustodia_domain.services.users import SetPayoutAccount
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.client import DeviceHeader, client_context
from kustodia_entrypoints.http.deps import PrincipalDep, TokensDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.auth import (
    LoginIn,
    MeOut,
    PayoutAccountIn,
    RefreshIn,
    RegisterIn,
    TokensOut,
    UserOut,
)
from kustodia_entrypoints.http.tokens import AccessTokens

LOGIN_PATH = "/v1/auth/login"


def _tokens(session: Session, tokens: AccessTokens) -> TokensOut:
    return TokensOut(
        access_token=tokens.issue(session.user.id, session.user.role.value),
        refresh_token=session.refresh_token,
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=tokens.expires_in,
    )


class AuthController(Controller):
    path = "/v1/auth"
    tags = ("auth",)

    @post("/register", status_code=201, opt={OPT: True}, summary="Create an account")
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RegisterIn],
        uc: UseCasesDep,
        device: DeviceHeader = None,
    ) -> UserOut:
        """Sign-ups are screened for fraud (with the client's IP and device): 403 when refused."""
        user = await uc.platform.party.sign_up.execute(
            SignUp(
                email=data.email,
                password=data.password,
                full_name=data.full_name,
                client=client_context(request, device),
            )
        )
        return UserOut.of(user)

    @post("/refresh", status_code=200, summary="Exchange a refresh token for a new pair")
    async def refresh(
        self, data: JSONBody[RefreshIn], uc: UseCasesDep, tokens: TokensDep
    ) -> TokensOut:
        """A refresh token works once; presenting a spent one revokes every token of its login."""
        return _tokens(await uc.platform.auth.refresh(data.refresh_token), tokens)


class LoginController(Controller):
    """Apart from the other auth routes so that the login rate limit applies to it alone."""

    path = LOGIN_PATH
    tags = ("auth",)

    @post(status_code=200, summary="Log in with e-mail and password")
    async def login(self, data: JSONBody[LoginIn], uc: UseCasesDep, tokens: TokensDep) -> TokensOut:
        """Five failures in a row lock the account's logins for 15 minutes (429)."""
        return _tokens(await uc.platform.auth.login(data.email, data.password), tokens)


class MeController(Controller):
    path = "/v1/me"
    tags = ("profile",)

    @get(summary="The caller's profile")
    async def me(self, principal: PrincipalDep) -> MeOut:
        return MeOut.of(principal.user)

    @put("/payout-account", summary="Set where the caller's payouts go")
    async def set_payout_account(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PayoutAccountIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
        device: DeviceHeader = None,
    ) -> MeOut:
        """The CLABE is validated (18 digits, known bank, check digit): a bad one is 422.

        The change is screened for fraud (403 when refused); releases to an account changed in
        the last days are held for review.
        """
        user = await uc.platform.party.set_payout_account.execute(
            SetPayoutAccount(
                user_id=UserId(principal.id),
                clabe=data.clabe,
                holder_name=data.holder_name,
                client=client_context(request, device),
            )
        )
        return MeOut.of(user)
