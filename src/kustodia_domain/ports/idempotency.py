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

    ``claim`` is atomic: of two concurrent claims of one key exactly one gets ``None``. A claim
    is named by its key and the moment it was made (``created_at``): ``take_over`` replaces an
    unfinished claim with a newer one, and ``complete`` and ``release`` act only on the claim
    they name, so a request that outlived its claim can neither store its response over the
    newer one's nor free the key while the newer one runs.
    """

    @abstractmethod
    async def claim(self, key: str, request_hash: str, at: datetime) -> IdempotencyRecord | None:
        """Claim ``key`` for a request; ``None`` if claimed now, else the existing record."""

    @abstractmethod
    async def take_over(self, key: str, claimed_at: datetime, at: datetime) -> bool:
        """Replace the unfinished claim made at ``claimed_at`` with one made at ``at``.

        ``True`` if this call replaced it; ``False`` if the key holds anything else by now (a
        response, another claim, nothing). Of concurrent take-overs of one claim, one wins.
        """

    @abstractmethod
    async def complete(self, key: str, claimed_at: datetime, response: StoredResponse) -> None:
        """Store the response of the claim made at ``claimed_at``; anything else is left alone."""

    @abstractmethod
    async def release(self, key: str, claimed_at: datetime) -> None:
        """Drop the unfinished claim made at ``claimed_at`` (its request failed): a retry runs."""
