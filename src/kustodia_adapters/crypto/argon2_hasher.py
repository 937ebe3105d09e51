"""argon2id password hashes (argon2-cffi), computed off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kustodia_domain.ports.credentials import PasswordHasher


class Argon2PasswordHasher(PasswordHasher):
    """argon2id with RFC 9106's second recommended profile by default (64 MiB, 3 passes).

    Tests pass a tiny ``memory_kib``/``time_cost`` so that hundreds of logins stay fast; the
    algorithm (argon2id) and the self-describing hash format are the same.
    """

    def __init__(
        self, *, time_cost: int = 3, memory_kib: int = 65_536, parallelism: int = 4
    ) -> None:
        self._argon2 = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )

    async def hash(self, password: str) -> str:
        # Hashing takes tens of milliseconds on purpose: keep it off the event loop.
        return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, hashed: str, password: str) -> bool:
        return await asyncio.to_thread(self._check, hashed, password)

    def _check(self, hashed: str, password: str) -> bool:
        try:
            return self._argon2.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
