"""Units of work fenced by a request's idempotency claim (``kustodia_domain.ports.idempotency``).

A unit of work serving a request with an ``Idempotency-Key`` commits only while the request's
claim is still its own, and marks the claim committed in the same transaction, so a request
that outlived its lease writes nothing, and a request whose work committed is never run again
by a retry, even when its response was never stored. The in-memory adapters run the contract
here, SQLite and PostgreSQL in ``test_sql_commit_fence.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.idempotency import InMemoryIdempotencyStore
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import CommitFence, InMemoryUnitOfWork
from kustodia_domain.ports.idempotency import Claim, IdempotencyStore, StoredResponse
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, NotFoundError
from tests.contract.builders import PAYEE, PAYER, commit_in_new_unit, escrow, user

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=10)
FencedUnit = Callable[[Claim | None], UnitOfWork]
"""A unit of work fenced by the claim given (none: not fenced), its clock at ``clock``."""


async def claimed(keys: IdempotencyStore, key: str = "usr_1:k") -> Claim:
    assert await keys.claim(key, "hash", T0) is None
    return Claim(key=key, claimed_at=T0)


async def add_user(unit: UnitOfWork, user_id: str) -> None:
    """Add a user in ``unit`` and commit it."""
    async with unit as uow:
        await uow.users.add(user(user_id))
        await uow.commit()


async def stored_users(unit: UnitOfWork, *user_ids: str) -> list[str]:
    found: list[str] = []
    async with unit as uow:
        for user_id in user_ids:
            with contextlib.suppress(NotFoundError):
                found.append((await uow.users.get(user_id)).id)
    return found


class CommitFenceContract(ABC):
    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock(T0 + timedelta(seconds=5))

    @pytest.fixture
    @abstractmethod
    def keys(self) -> IdempotencyStore: ...

    @pytest.fixture
    @abstractmethod
    def fenced(self, keys: IdempotencyStore, clock: FixedClock) -> FencedUnit: ...

    async def test_a_commit_under_the_claim_marks_it_so_it_is_neither_taken_over_nor_released(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        claim = await claimed(keys)
        await add_user(fenced(claim), "usr_a")

        record = await keys.claim(claim.key, "hash", LATER)
        assert record is not None
        assert (record.response, record.committed_at) == (None, T0 + timedelta(seconds=5))
        assert not await keys.take_over(claim.key, T0, LATER)
        await keys.release(claim.key, T0)
        assert await keys.claim(claim.key, "hash", LATER) == record
        assert await stored_users(fenced(None), "usr_a") == ["usr_a"]

    async def test_every_commit_of_the_request_passes_and_the_first_one_dates_the_mark(
        self, keys: IdempotencyStore, fenced: FencedUnit, clock: FixedClock
    ) -> None:
        claim = await claimed(keys)
        for n in range(2):
            await add_user(fenced(claim), f"usr_{n}")
            clock.advance(timedelta(seconds=1))
        await keys.complete(claim.key, T0, StoredResponse(status=201, body=b"{}", media_type="x"))

        record = await keys.claim(claim.key, "hash", LATER)
        assert record is not None
        assert record.committed_at == T0 + timedelta(seconds=5)
        assert record.response == StoredResponse(status=201, body=b"{}", media_type="x")
        assert await stored_users(fenced(None), "usr_0", "usr_1") == ["usr_0", "usr_1"]

    async def test_a_request_whose_claim_was_taken_over_writes_nothing(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        claim = await claimed(keys)
        assert await keys.take_over(claim.key, T0, LATER)

        with pytest.raises(ConcurrencyConflictError):
            await add_user(fenced(claim), "usr_late")

        assert await stored_users(fenced(None), "usr_late") == []
        successor = await keys.claim(claim.key, "hash", LATER)
        assert successor is not None
        assert (successor.created_at, successor.committed_at) == (LATER, None)

    async def test_a_released_claim_fences_out_its_request(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        claim = await claimed(keys)
        await keys.release(claim.key, T0)

        with pytest.raises(ConcurrencyConflictError):
            await add_user(fenced(claim), "usr_gone")
        assert await stored_users(fenced(None), "usr_gone") == []

    async def test_a_unit_that_wrote_nothing_neither_needs_the_claim_nor_marks_it(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        await add_user(fenced(None), "usr_a")
        claim = await claimed(keys)
        async with fenced(claim) as uow:
            await uow.users.get("usr_a")
            await uow.commit()
        assert await keys.take_over(claim.key, T0, LATER)

        async with fenced(claim) as uow:  # its claim is gone, and it writes nothing either
            await uow.users.get("usr_a")
            await uow.commit()

    async def test_a_unit_whose_writes_all_wait_for_the_commit_is_fenced_too(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        async with fenced(None) as uow:
            for party in (PAYER, PAYEE):
                await uow.users.add(user(party))
            await uow.commit()
        claim = await claimed(keys)
        assert await keys.take_over(claim.key, T0, LATER)

        # An escrow's rows wait for the commit (on PostgreSQL, one statement without BEGIN).
        with pytest.raises(ConcurrencyConflictError):
            await commit_in_new_unit(lambda: fenced(claim), lambda uow: uow.escrows.add(escrow()))

        async with fenced(None) as uow:
            with pytest.raises(NotFoundError):
                await uow.escrows.get("esc_1")

    async def test_a_unit_refused_at_its_commit_leaves_the_claim_unmarked(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        async with fenced(None) as uow:
            for party in (PAYER, PAYEE):
                await uow.users.add(user(party))
            await uow.escrows.add(escrow("esc_1", reference="1000001"))
            await uow.commit()
        claim = await claimed(keys)

        with pytest.raises(ConflictError):  # the reference is taken
            await commit_in_new_unit(
                lambda: fenced(claim),
                lambda uow: uow.escrows.add(escrow("esc_2", reference="1000001")),
            )

        record = await keys.claim(claim.key, "hash", LATER)
        assert record is not None
        assert record.committed_at is None
        assert await keys.take_over(claim.key, T0, LATER)

    async def test_a_commit_and_a_take_over_of_one_claim_never_both_succeed(
        self, keys: IdempotencyStore, fenced: FencedUnit
    ) -> None:
        async def commit(claim: Claim, user_id: str) -> bool:
            try:
                await add_user(fenced(claim), user_id)
            except ConcurrencyConflictError:
                return False
            return True

        claims = [await claimed(keys, f"usr_1:k{n}") for n in range(8)]
        outcomes = await asyncio.gather(
            *(commit(c, f"usr_{n}") for n, c in enumerate(claims)),
            *(keys.take_over(c.key, T0, LATER) for c in claims),
        )

        committed, taken_over = outcomes[:8], outcomes[8:]
        assert all(c != t for c, t in zip(committed, taken_over, strict=True))
        stored = await stored_users(fenced(None), *(f"usr_{n}" for n in range(8)))
        assert stored == [f"usr_{n}" for n, c in enumerate(committed) if c]


class TestInMemoryCommitFence(CommitFenceContract):
    @pytest.fixture
    def keys(self) -> InMemoryIdempotencyStore:
        return InMemoryIdempotencyStore()

    @pytest.fixture
    def fenced(self, keys: IdempotencyStore, clock: FixedClock) -> FencedUnit:
        assert isinstance(keys, InMemoryIdempotencyStore)
        store = InMemoryStore()
        return lambda claim: InMemoryUnitOfWork(
            store, None if claim is None else CommitFence(keys, claim, clock)
        )
