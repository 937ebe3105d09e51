"""Credentials: password rules, the login throttle and refresh-token families.

Passwords are only ever handled as argon2id hashes (the ``PasswordHasher`` port); refresh tokens
are stored as the SHA-256 of their secret part. A refresh token is used once: using it again
means it was stolen or replayed, so the whole family (every token descended from one login) is
revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import attrs

from kustodia_domain.shared.errors import KustodiaError, ValidationError

MIN_PASSWORD = 10
MAX_PASSWORD = 1_024
"""Long enough for pass phrases, short enough that hashing cannot be used to exhaust the CPU."""


class AuthenticationError(KustodiaError):
    """The caller could not be authenticated (bad password, bad or spent token)."""

    code: ClassVar[str] = "auth.unauthenticated"


class InvalidCredentialsError(AuthenticationError):
    """Unknown e-mail or wrong password (which of the two is never said)."""

    code: ClassVar[str] = "auth.invalid_credentials"


class InvalidRefreshTokenError(AuthenticationError):
    """The refresh token is unknown, malformed, expired or revoked."""

    code: ClassVar[str] = "auth.refresh_invalid"


class RefreshTokenReusedError(AuthenticationError):
    """A spent refresh token was presented again; its family is now revoked."""

    code: ClassVar[str] = "auth.refresh_reused"


class AccountLockedError(KustodiaError):
    """Too many failed logins: the account refuses logins until ``until``."""

    code: ClassVar[str] = "auth.locked"

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failed logins; try again later")
        self.until = until


def check_password(password: str) -> None:
    """Raise ``ValidationError`` unless the password has 10 to 1024 characters."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationError(
            f"a password has {MIN_PASSWORD}-{MAX_PASSWORD} characters", field="password"
        )


@attrs.frozen(kw_only=True)
class LoginPolicy:
    """Lockout and refresh-token lifetimes.

    ``threshold`` consecutive failures lock logins for ``lockout``; refresh tokens live
    ``refresh_ttl``.
    """

    threshold: int = 5
    lockout: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)


@attrs.frozen(kw_only=True)
class LoginThrottle:
    """Consecutive failed logins of one e-mail and, once too many, until when it is locked."""

    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, at: datetime) -> bool:
        """Whether logins are refused at ``at``."""
        return self.locked_until is not None and at < self.locked_until

    def failed(self, at: datetime, policy: LoginPolicy) -> LoginThrottle:
        """The throttle after one more failure; the threshold locks and restarts the count."""
        failures = self.failures + 1
        if failures >= policy.threshold:
            return LoginThrottle(failures=0, locked_until=at + policy.lockout)
        return LoginThrottle(failures=failures, locked_until=self.locked_until)


@attrs.frozen(kw_only=True)
class RefreshToken:
    """A stored refresh token: the hash of its secret, its family, and whether it was used."""

    token_id: str
    family_id: str
    user_id: str
    secret_sha256: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, at: datetime) -> bool:
        """Not used, not revoked, not expired."""
        return self.used_at is None and self.revoked_at is None and at < self.expires_at
