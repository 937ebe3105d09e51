"""Ports of authentication: password hashing, stored credentials and secrets for tokens."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from kustodia_domain.identity.credentials import LoginThrottle, RefreshToken


class PasswordHasher(Protocol):
    """Hashes and checks passwords (argon2id in production). CPU-bound: adapters may offload."""

    @abstractmethod
    async def hash(self, password: str) -> str:
        """A self-describing hash of ``password`` (algorithm, parameters and salt included)."""

    @abstractmethod
    async def verify(self, hashed: str, password: str) -> bool:
        """Whether ``password`` matches ``hashed``; a malformed hash is simply ``False``."""


class SecretSource(Protocol):
    """Unguessable secrets (at least 256 bits, URL-safe) for refresh tokens."""

    @abstractmethod
    def new_secret(self) -> str:
        """A fresh secret."""


class CredentialStore(Protocol):
    """Password hashes, login throttles and refresh tokens.

    ``mark_used`` is an atomic compare-and-set: of two concurrent uses of one token exactly one
    gets ``True``, which is what lets the other be treated as a reuse.
    """

    @abstractmethod
    async def set_password_hash(self, user_id: str, hashed: str) -> None:
        """Store (or replace) the user's password hash."""

    @abstractmethod
    async def password_hash(self, user_id: str) -> str | None:
        """The user's password hash, if one is set."""

    @abstractmethod
    async def throttle(self, email: str) -> LoginThrottle:
        """The login throttle of ``email`` (lower-cased); a fresh one if none is stored."""

    @abstractmethod
    async def save_throttle(self, email: str, throttle: LoginThrottle) -> None:
        """Replace the throttle of ``email``."""

    @abstractmethod
    async def add_refresh_token(self, token: RefreshToken) -> None:
        """Store a new refresh token."""

    @abstractmethod
    async def refresh_token(self, token_id: str) -> RefreshToken | None:
        """The stored token, if any."""

    @abstractmethod
    async def mark_used(self, token_id: str, at: datetime) -> bool:
        """Mark the token used; ``False`` if it was already used (nothing changes then)."""

    @abstractmethod
    async def revoke_family(self, family_id: str, at: datetime) -> None:
        """Revoke every token of the family that is not revoked yet."""
