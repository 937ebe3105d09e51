"""Who is calling: the bearer token's user, loaded fresh so a changed role applies at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import structlog
from litestar import Request
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from kustodia_domain.identity.model import Role, User
from kustodia_domain.services.queries import Viewer
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.shared.errors import NotFoundError
from kustodia_entrypoints.http.tokens import AccessTokens

STAFF = frozenset({Role.ADMIN, Role.COMPLIANCE})


@attrs.frozen
class Principal:
    """The authenticated user."""

    user: User

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN

    @property
    def viewer(self) -> Viewer:
        """Admins see every escrow, dispute and ticket; everyone else only their own."""
        return Viewer(user_id=self.user.id, is_admin=self.is_admin)

    def require_admin(self) -> None:
        """Raises PermissionDeniedException (403) unless the user is an admin."""
        if not self.is_admin:
            raise PermissionDeniedException("only admins may do this")

    def require_staff(self) -> None:
        """Raises PermissionDeniedException (403) unless the user is an admin or compliance."""
        if self.user.role not in STAFF:
            raise PermissionDeniedException("only staff may do this")


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def principal_provider(
    use_cases: UseCases, tokens: AccessTokens
) -> Callable[[Request[Any, Any, Any]], Awaitable[Principal]]:
    """The ``principal`` dependency: 401 without a valid token or for a user that is gone."""

    async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
        token = bearer_token(request)
        claims = None if token is None else tokens.read(token)
        if claims is None:
            raise NotAuthorizedException("a valid bearer token is required")
        try:
            user = await use_cases.platform.profiles.get(claims.subject)
        except NotFoundError:
            raise NotAuthorizedException("a valid bearer token is required") from None
        # The access log line and every later log line of this request name the user.
        request.scope.setdefault("state", {})["user_id"] = user.id
        structlog.contextvars.bind_contextvars(user_id=user.id)
        return Principal(user)

    return provide_principal
