"""The ``Idempotency-Key`` store: the first response to each key, kept for replays.

A request runs under the claim of its key (:data:`REQUEST_CLAIM`). Every unit of work that
writes and commits while a claim is current commits only if the claim is still that
request's, and marks it committed in the same transaction (``committed_at``): a request that
outlived its lease and was taken over writes nothing through a unit of work, and a claim whose
work committed is never taken over, even when its response was never stored (the process died
between the commit and the store). Stores outside the unit of work (the fraud engine's lists,
overrides and alerts, reconciliation runs) write in transactions of their own, which the claim
does not fence.
"""

from __future__ import annotations

from abc import abstractmethod
from contextvars import ContextVar
from datetime import datetime
from typing import Final, Protocol

import attrs


@attrs.frozen(kw_only=True)
class StoredResponse:
    """A response as it was sent: status, body bytes and media type."""

    status: int
    body: bytes
    media_type: str


@attrs.frozen(kw_only=True)
class Claim:
    """A key claimed for one request, named by the moment it was claimed."""

    key: str
    claimed_at: datetime


REQUEST_CLAIM: Final[ContextVar[Claim | None]] = ContextVar("REQUEST_CLAIM", default=None)
"""The claim the current request runs under, if it came with an ``Idempotency-Key``.

Set by the edge around the request; read by the composition root when it opens a unit of
work, so units of work fence their commit with it (see the module docstring).
"""


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """A key's claim: the hash of the request that made it and, once done, its response.

    ``committed_at`` is when a unit of work of the claim's request first committed; None
    while nothing did.
    """

    key: str
    request_hash: str
    created_at: datetime
    response: StoredResponse | None = None
    committed_at: datetime | None = None


class IdempotencyStore(Protocol):
    """Keys are scoped by the caller (the edge prefixes them with the principal).

    ``claim`` is atomic: of two concurrent claims of one key exactly one gets ``None``. A claim
    is named by its key and the moment it was made (``created_at``): ``take_over`` replaces an
    unfinished claim with a newer one, and ``complete`` and ``release`` act only on the claim
    they name, so a request that outlived its claim can neither store its response over the
    newer one's nor free the key while the newer one runs. A claim marked committed (by a unit
    of work of its request, see the module docstring) is neither taken over nor released.
    """

    @abstractmethod
    async def claim(self, key: str, request_hash: str, at: datetime) -> IdempotencyRecord | None:
        """Claim ``key`` for a request; ``None`` if claimed now, else the existing record."""

    @abstractmethod
    async def take_over(self, key: str, claimed_at: datetime, at: datetime) -> bool:
        """Replace the unfinished claim made at ``claimed_at`` with one made at ``at``.

        ``True`` if this call replaced it; ``False`` if the key holds anything else by now (a
        response, another claim, a claim whose work committed, nothing). Of concurrent
        take-overs of one claim, one wins; a take-over and a commit under the claim are
        serialised, and whichever comes second finds the claim changed.
        """

    @abstractmethod
    async def complete(self, key: str, claimed_at: datetime, response: StoredResponse) -> None:
        """Store the response of the claim made at ``claimed_at``; anything else is left alone."""

    @abstractmethod
    async def release(self, key: str, claimed_at: datetime) -> None:
        """Drop the unfinished claim made at ``claimed_at`` (its request failed): a retry runs.

        A claim whose work committed stays: running its request again could do the work twice.
        """
