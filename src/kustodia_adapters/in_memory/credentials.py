"""Password hashes, login throttles and refresh tokens in dicts."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime

import attrs

from kustodia_domain.identity.credentials import LoginThrottle, RefreshToken
from kustodia_domain.ports.credentials import CredentialStore, SecretSource


class InMemoryCredentialStore(CredentialStore):
    """Values are frozen, so they are stored as given; a lock makes ``mark_used`` atomic."""

    def __init__(self) -> None:
        self._hashes: dict[str, str] = {}
        self._throttles: dict[str, LoginThrottle] = {}
        self._tokens: dict[str, RefreshToken] = {}
        self._lock = asyncio.Lock()

    async def set_password_hash(self, user_id: str, hashed: str) -> None:
        self._hashes[user_id] = hashed

    async def password_hash(self, user_id: str) -> str | None:
        return self._hashes.get(user_id)

    async def throttle(self, email: str) -> LoginThrottle:
        return self._throttles.get(email.lower(), LoginThrottle())

    async def save_throttle(self, email: str, throttle: LoginThrottle) -> None:
        self._throttles[email.lower()] = throttle

    async def add_refresh_token(self, token: RefreshToken) -> None:
        self._tokens[token.token_id] = token

    async def refresh_token(self, token_id: str) -> RefreshToken | None:
        return self._tokens.get(token_id)

    async def mark_used(self, token_id: str, at: datetime) -> bool:
        async with self._lock:
            token = self._tokens.get(token_id)
            if token is None or token.used_at is not None:
                return False
            self._tokens[token_id] = attrs.evolve(token, used_at=at)
            return True

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        async with self._lock:
            for token_id, token in list(self._tokens.items()):
                if token.family_id == family_id and token.revoked_at is None:
                    self._tokens[token_id] = attrs.evolve(token, revoked_at=at)


class TokenSecretSource(SecretSource):
    """256-bit URL-safe secrets from the operating system's generator."""

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)
