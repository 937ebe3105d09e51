"""Use cases of authentication: sign-up with a password, login, refresh-token rotation.

Access tokens are minted by the edge from the ``Session`` these return; this module owns what
must hold whatever the edge: argon2id hashes only, lockout after repeated failures, and refresh
tokens that are used once, whose reuse revokes the whole family.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import attrs

from kustodia_domain.identity.credentials import (
    AccountLockedError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    LoginPolicy,
    LoginThrottle,
    RefreshToken,
    RefreshTokenReusedError,
    check_password,
)
from kustodia_domain.identity.model import Role, User
from kustodia_domain.ports.clock import Clock, IdGenerator
from kustodia_domain.ports.credentials import CredentialStore, PasswordHasher, SecretSource
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.users import ClientContext, RegisterUser, RegisterUserHandler

_DUMMY_HASH_PASSWORD = "timing-equaliser-password"  # noqa: S105 - hashed, never checked


@attrs.frozen(kw_only=True)
class SignUp:
    """Register with a password; ``role`` is ``user`` unless an operator creates staff."""

    email: str
    password: str
    full_name: str
    role: Role = Role.USER
    client: ClientContext = ClientContext()


@attrs.frozen(kw_only=True)
class Session:
    """A logged-in user and the plain refresh token to hand back (shown once, stored hashed)."""

    user: User
    refresh_token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@attrs.frozen
class AuthUseCases:
    """Sign-up, login and refresh.

    Rules: passwords are 10-1024 characters and stored only as hashes; an unknown e-mail and a
    wrong password fail alike (and take as long); ``policy.threshold`` consecutive failures lock
    the e-mail for ``policy.lockout``; a refresh token is ``<id>.<secret>``, usable once, within
    ``policy.refresh_ttl``; presenting a used one revokes its family.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    register: RegisterUserHandler
    hasher: PasswordHasher
    credentials: CredentialStore
    secrets: SecretSource
    policy: LoginPolicy = LoginPolicy()

    async def sign_up(self, cmd: SignUp) -> User:
        """Raises ValidationError, ConflictError (e-mail taken), OperationBlockedError."""
        check_password(cmd.password)
        hashed = await self.hasher.hash(cmd.password)
        user = await self.register.execute(
            RegisterUser(email=cmd.email, full_name=cmd.full_name, role=cmd.role, client=cmd.client)
        )
        await self.credentials.set_password_hash(user.id, hashed)
        return user

    async def login(self, email: str, password: str) -> Session:
        """Raises AccountLockedError, InvalidCredentialsError."""
        now = self.clock.now()
        key = email.strip().lower()
        throttle = await self.credentials.throttle(key)
        if throttle.locked(now):
            assert throttle.locked_until is not None  # noqa: S101 - locked() checked it
            raise AccountLockedError(throttle.locked_until)
        user = await self._user_by_email(key)
        hashed = None if user is None else await self.credentials.password_hash(user.id)
        if user is None or hashed is None:
            # Hash anyway, so an unknown e-mail takes as long as a wrong password.
            await self.hasher.hash(_DUMMY_HASH_PASSWORD)
            return await self._fail(key, throttle)
        if not await self.hasher.verify(hashed, password):
            return await self._fail(key, throttle)
        await self.credentials.save_throttle(key, LoginThrottle())
        return await self._issue(user, family_id=self.ids.new_id("rtf"))

    async def refresh(self, presented: str) -> Session:
        """Raises InvalidRefreshTokenError, RefreshTokenReusedError (the family is revoked)."""
        now = self.clock.now()
        token_id, _, secret = presented.partition(".")
        token = await self.credentials.refresh_token(token_id) if secret else None
        if token is None or not hmac.compare_digest(token.secret_sha256, _digest(secret)):
            raise InvalidRefreshTokenError("unknown refresh token")
        if token.used_at is not None:
            await self.credentials.revoke_family(token.family_id, now)
            raise RefreshTokenReusedError("refresh token reused; every session of it is revoked")
        if not token.usable(now):
            raise InvalidRefreshTokenError("refresh token expired or revoked")
        if not await self.credentials.mark_used(token.token_id, now):
            # Lost a race with another use of the same token: that is a reuse too.
            await self.credentials.revoke_family(token.family_id, now)
            raise RefreshTokenReusedError("refresh token reused; every session of it is revoked")
        async with self.uow() as uow:
            user = await uow.users.get(token.user_id)
        return await self._issue(user, family_id=token.family_id)

    async def _user_by_email(self, email: str) -> User | None:
        async with self.uow() as uow:
            return await uow.users.find_by_email(email)

    async def _fail(self, email: str, throttle: LoginThrottle) -> Session:
        await self.credentials.save_throttle(email, throttle.failed(self.clock.now(), self.policy))
        raise InvalidCredentialsError("e-mail or password is wrong")

    async def _issue(self, user: User, *, family_id: str) -> Session:
        now = self.clock.now()
        secret = self.secrets.new_secret()
        token = RefreshToken(
            token_id=self.ids.new_id("rtk"),
            family_id=family_id,
            user_id=user.id,
            secret_sha256=_digest(secret),
            issued_at=now,
            expires_at=now + self.policy.refresh_ttl,
        )
        await self.credentials.add_refresh_token(token)
        return Session(user=user, refresh_token=f"{token.token_id}.{secret}")
