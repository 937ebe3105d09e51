"""The ``Idempotency-Key`` store: the first response to each key, kept for replays."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

import attrs


@attrs.frozen(kw_only=True)
class StoredResponse:
    """A response as it was sent: status, body bytes and media type."""

    status: int
    body: bytes
    media_type: str


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """A key's claim: the hash of the request that made it and, once done, its response."""

    key: str
    request_hash: str
    created_at: datetime
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    """Keys are scoped by the caller (the edge prefixes them with the principal).

    ``claim`` is atomic: of two concurrent claims of one key exactly one gets ``None``.
    """

    @abstractmethod
    async def claim(self, key: str, request_hash: str, at: datetime) -> IdempotencyRecord | None:
        """Claim ``key`` for a request; ``None`` if claimed now, else the existing record."""

    @abstractmethod
    async def complete(self, key: str, response: StoredResponse) -> None:
        """Store the response of the claimed key."""

    @abstractmethod
    async def release(self, key: str) -> None:
        """Drop an unfinished claim (the request failed unexpectedly), so a retry can run."""
