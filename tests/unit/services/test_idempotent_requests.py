"""``Idempotency-Key`` claims: replayed, refused while running, taken over once dead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.idempotency import InMemoryIdempotencyStore
from kustodia_domain.ports.idempotency import Claim, StoredResponse
from kustodia_domain.services.idempotency import (
    CLAIM_LEASE,
    IdempotencyInProgressError,
    IdempotencyResponseLostError,
    IdempotentRequests,
)
from kustodia_domain.shared.errors import IdempotencyConflictError

CREATED = StoredResponse(status=201, body=b'{"id": "esc_1"}', media_type="application/json")
SECOND = timedelta(seconds=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def requests(clock: FixedClock) -> IdempotentRequests:
    return IdempotentRequests(InMemoryIdempotencyStore(), clock)


async def claimed(requests: IdempotentRequests, key: str = "k", request: str = "h") -> Claim:
    claim = await requests.begin(key, request)
    assert isinstance(claim, Claim)
    return claim


async def test_a_finished_request_is_replayed_and_another_request_with_its_key_refused(
    requests: IdempotentRequests,
) -> None:
    await requests.finish(await claimed(requests), CREATED)

    assert await requests.begin("k", "h") == CREATED
    with pytest.raises(IdempotencyConflictError):
        await requests.begin("k", "another request")


async def test_a_running_request_is_in_progress_until_its_lease_ends(
    requests: IdempotentRequests, clock: FixedClock
) -> None:
    first = await claimed(requests)
    clock.advance(CLAIM_LEASE - SECOND)
    with pytest.raises(IdempotencyInProgressError):
        await requests.begin("k", "h")

    clock.advance(SECOND)
    retry = await claimed(requests)

    assert retry.claimed_at > first.claimed_at
    with pytest.raises(IdempotencyInProgressError):  # the retry now holds the key
        await requests.begin("k", "h")


async def test_a_request_that_outlived_its_claim_stores_nothing_and_frees_nothing(
    requests: IdempotentRequests, clock: FixedClock
) -> None:
    first = await claimed(requests)
    clock.advance(CLAIM_LEASE)
    retry = await claimed(requests)

    await requests.finish(first, StoredResponse(status=409, body=b"", media_type="text/plain"))
    await requests.abandon(first)
    with pytest.raises(IdempotencyInProgressError):
        await requests.begin("k", "h")

    await requests.finish(retry, CREATED)
    assert await requests.begin("k", "h") == CREATED


async def test_a_dead_claim_is_still_refused_to_another_request(
    requests: IdempotentRequests, clock: FixedClock
) -> None:
    await claimed(requests)
    clock.advance(CLAIM_LEASE * 2)
    with pytest.raises(IdempotencyConflictError):
        await requests.begin("k", "another request")


async def test_a_request_whose_work_committed_is_never_taken_over_nor_freed(
    requests: IdempotentRequests, clock: FixedClock
) -> None:
    first = await claimed(requests)
    store = requests.store
    assert isinstance(store, InMemoryIdempotencyStore)
    assert await store.fence(first, clock.now())  # a unit of work of the request committed
    await requests.abandon(first)  # its answer was an error after the commit

    with pytest.raises(IdempotencyInProgressError):
        await requests.begin("k", "h")
    clock.advance(CLAIM_LEASE)
    with pytest.raises(IdempotencyResponseLostError):
        await requests.begin("k", "h")
    with pytest.raises(IdempotencyConflictError):
        await requests.begin("k", "another request")
