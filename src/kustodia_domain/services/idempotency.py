"""``Idempotency-Key`` semantics: the same key and request replay the first response.

The same key with a different request is a conflict, and so is a key whose first request is
still running (two concurrent retries must not both do the work), until its claim is so old
that the request holding it must have died (:data:`CLAIM_LEASE`). Then a retry takes the
claim over and runs the request, unless the first request's work had committed (see
:mod:`kustodia_domain.ports.idempotency`): that retry is told the response was lost, and
nothing runs twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Final

import attrs

from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.idempotency import Claim, IdempotencyStore, StoredResponse
from kustodia_domain.shared.errors import ConflictError, IdempotencyConflictError

MAX_KEY = 255


class IdempotencyInProgressError(ConflictError):
    """A request with this key is still being processed."""

    code: ClassVar[str] = "idempotency.in_progress"


class IdempotencyResponseLostError(ConflictError):
    """The key's request did its work, but its response was never stored (it died after)."""

    code: ClassVar[str] = "idempotency.response_lost"


CLAIM_LEASE: Final = timedelta(minutes=5)
"""How long a claim without a response counts as running.

Far longer than any request takes (the slow work, rail calls and assessments, runs in the
worker), so a claim this old belongs to a request that died (a killed process, a lost
connection to the store before it could release): a retry takes it over instead of being told
``idempotency.in_progress`` for ever.
"""


@attrs.frozen
class IdempotentRequests:
    """Claims keys before the work and stores the response after it."""

    store: IdempotencyStore
    clock: Clock
    lease: timedelta = CLAIM_LEASE

    async def begin(self, key: str, request_hash: str) -> StoredResponse | Claim:
        """Claim ``key``: the stored response to replay, or the ``Claim`` to do the work under.

        Raises:
            IdempotencyConflictError: the key was used for a different request.
            IdempotencyInProgressError: the key's first request is running (its claim is
                younger than ``lease``).
            IdempotencyResponseLostError: the key's first request committed its work and
                died before its response was stored; the caller should read the result (a
                GET) rather than send the request again under a new key.
        """
        now = self.clock.now()
        existing = await self.store.claim(key, request_hash, now)
        if existing is None:
            return Claim(key=key, claimed_at=now)
        if existing.request_hash != request_hash:
            raise IdempotencyConflictError("this Idempotency-Key was used for another request")
        if existing.response is not None:
            return existing.response
        if now - existing.created_at >= self.lease:
            if existing.committed_at is not None:
                raise IdempotencyResponseLostError(
                    "the request with this Idempotency-Key committed its work, but no response "
                    "was stored for it; read the resource to see the result"
                )
            if await self.store.take_over(key, existing.created_at, now):
                return Claim(key=key, claimed_at=now)
        raise IdempotencyInProgressError("a request with this Idempotency-Key is in progress")

    async def finish(self, claim: Claim, response: StoredResponse) -> None:
        """Keep ``response`` for replays of the claimed key."""
        await self.store.complete(claim.key, claim.claimed_at, response)

    async def abandon(self, claim: Claim) -> None:
        """Forget the unfinished claim, so a retry does the work."""
        await self.store.release(claim.key, claim.claimed_at)
