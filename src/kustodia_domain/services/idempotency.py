"""``Idempotency-Key`` semantics: the same key and request replay the first response.

The same key with a different request is a conflict, and so is a key whose first request is
still running (two concurrent retries must not both do the work).
"""

from __future__ import annotations

from typing import ClassVar

import attrs

from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.idempotency import IdempotencyStore, StoredResponse
from kustodia_domain.shared.errors import ConflictError, IdempotencyConflictError

MAX_KEY = 255


class IdempotencyInProgressError(ConflictError):
    """A request with this key is still being processed."""

    code: ClassVar[str] = "idempotency.in_progress"


@attrs.frozen
class IdempotentRequests:
    """Claims keys before the work and stores the response after it."""

    store: IdempotencyStore
    clock: Clock

    async def begin(self, key: str, request_hash: str) -> StoredResponse | None:
        """Claim ``key``; returns the stored response to replay, or ``None`` to do the work.

        Raises:
            IdempotencyConflictError: the key was used for a different request.
            IdempotencyInProgressError: the key's first request has not finished.
        """
        existing = await self.store.claim(key, request_hash, self.clock.now())
        if existing is None:
            return None
        if existing.request_hash != request_hash:
            raise IdempotencyConflictError("this Idempotency-Key was used for another request")
        if existing.response is None:
            raise IdempotencyInProgressError("a request with this Idempotency-Key is in progress")
        return existing.response

    async def finish(self, key: str, response: StoredResponse) -> None:
        """Keep ``response`` for replays of ``key``."""
        await self.store.complete(key, response)

    async def abandon(self, key: str) -> None:
        """Forget an unfinished claim, so a retry does the work."""
        await self.store.release(key)
