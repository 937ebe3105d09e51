"""The queue of reconciliation differences: once per kind and subject, open ones oldest first."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from kustodia_adapters.in_memory.reconciliation_queue import InMemoryReconciliationQueue
from kustodia_domain.ports.reconciliation_queue import (
    DifferenceKind,
    ReconciliationDifference,
    ReconciliationQueue,
)
from kustodia_domain.shared.errors import NotFoundError, ValidationError
from kustodia_domain.shared.money import MXNB, Money

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 2, tzinfo=UTC)
MEXICO_CITY = timezone(timedelta(hours=-6))


def difference(
    subject: str = "TRK1",
    kind: DifferenceKind = DifferenceKind.MISSING_DEPOSIT,
    *,
    minutes: int = 0,
    detail: str = "the rail received a deposit the books never recorded",
) -> ReconciliationDifference:
    return ReconciliationDifference(
        kind=kind,
        subject=subject,
        escrow_id=None,
        rail_amount=Money.mxn(150_000),
        recorded_amount=None,
        rail_status="received",
        recorded_status=None,
        detail=detail,
        period_start=SINCE,
        period_end=UNTIL,
        found_at=UNTIL + timedelta(minutes=minutes),
    )


def mismatch(subject: str = "pay_1", *, minutes: int = 0) -> ReconciliationDifference:
    """A difference with every optional field set, amounts in two currencies."""
    return ReconciliationDifference(
        kind=DifferenceKind.PAYOUT_AMOUNT_MISMATCH,
        subject=subject,
        escrow_id="esc_1",
        rail_amount=Money(-1, MXNB),
        recorded_amount=Money.mxn(9_223_372_036_854_775_807),
        rail_status="confirmed",
        recorded_status="sent",
        detail="the rail paid another amount",
        period_start=SINCE,
        period_end=UNTIL,
        found_at=UNTIL + timedelta(minutes=minutes),
    )


class ReconciliationQueueContract(ABC):
    @pytest.fixture
    @abstractmethod
    def queue(self) -> ReconciliationQueue:
        """An empty queue of the adapter under test."""

    async def test_a_queued_difference_reads_back_whole(self, queue: ReconciliationQueue) -> None:
        assert await queue.add(difference()) is True
        assert await queue.add(mismatch(minutes=1)) is True

        assert await queue.list_open() == [difference(), mismatch(minutes=1)]

    async def test_a_key_is_queued_once_and_the_first_difference_is_kept(
        self, queue: ReconciliationQueue
    ) -> None:
        assert await queue.add(difference()) is True

        # Reconciling an overlapping period finds the same difference again, later.
        again = attrs.evolve(difference(minutes=60), detail="found again")
        assert await queue.add(again) is False

        assert await queue.list_open() == [difference()]

    async def test_the_key_is_kind_and_subject(self, queue: ReconciliationQueue) -> None:
        assert await queue.add(difference("TRK1")) is True
        assert await queue.add(difference("TRK1", DifferenceKind.UNKNOWN_DEPOSIT)) is True
        assert await queue.add(difference("TRK2")) is True

        keys = [d.key for d in await queue.list_open()]
        assert sorted(keys) == [
            "missing_deposit:TRK1",
            "missing_deposit:TRK2",
            "unknown_deposit:TRK1",
        ]

    async def test_open_differences_are_oldest_found_first_with_ties_by_key(
        self, queue: ReconciliationQueue
    ) -> None:
        await queue.add(difference("TRK9", minutes=5))
        await queue.add(difference("TRKB", DifferenceKind.UNKNOWN_DEPOSIT))
        await queue.add(difference("TRKA", DifferenceKind.UNKNOWN_DEPOSIT))
        await queue.add(difference("TRKC"))

        keys = [d.key for d in await queue.list_open()]
        assert keys == [
            "missing_deposit:TRKC",
            "unknown_deposit:TRKA",
            "unknown_deposit:TRKB",
            "missing_deposit:TRK9",
        ]

    async def test_a_resolved_difference_leaves_the_open_list_and_is_never_queued_again(
        self, queue: ReconciliationQueue
    ) -> None:
        await queue.add(difference("TRK1"))
        await queue.add(difference("TRK2", minutes=1))
        at = UNTIL + timedelta(hours=2)

        resolved = await queue.resolve("missing_deposit:TRK1", at)

        assert resolved == attrs.evolve(difference("TRK1"), resolved_at=at)
        assert [d.subject for d in await queue.list_open()] == ["TRK2"]
        # Nothing is ever deleted: the resolved key still de-duplicates.
        assert await queue.add(difference("TRK1", minutes=90)) is False
        assert [d.subject for d in await queue.list_open()] == ["TRK2"]

    async def test_resolving_again_keeps_the_first_resolution(
        self, queue: ReconciliationQueue
    ) -> None:
        await queue.add(mismatch())
        first = UNTIL + timedelta(hours=2)

        await queue.resolve("payout_amount_mismatch:pay_1", first)
        again = await queue.resolve("payout_amount_mismatch:pay_1", first + timedelta(days=1))

        assert again == attrs.evolve(mismatch(), resolved_at=first)

    async def test_a_resolution_time_is_kept_in_utc(self, queue: ReconciliationQueue) -> None:
        await queue.add(difference())
        at = (UNTIL + timedelta(hours=2)).astimezone(MEXICO_CITY)

        resolved = await queue.resolve("missing_deposit:TRK1", at)

        assert resolved.resolved_at == at
        assert resolved.resolved_at is not None
        assert resolved.resolved_at.utcoffset() == timedelta(0)

    async def test_a_naive_resolution_time_is_refused_and_changes_nothing(
        self, queue: ReconciliationQueue
    ) -> None:
        await queue.add(difference())

        with pytest.raises(ValidationError):
            await queue.resolve("missing_deposit:TRK1", datetime(2026, 3, 2, 12, 0))  # noqa: DTZ001

        assert await queue.list_open() == [difference()]

    async def test_a_subject_may_hold_colons(self, queue: ReconciliationQueue) -> None:
        await queue.add(difference("bank:TRK:1"))

        resolved = await queue.resolve("missing_deposit:bank:TRK:1", UNTIL + timedelta(hours=1))

        assert resolved.subject == "bank:TRK:1"
        assert await queue.list_open() == []

    @pytest.mark.parametrize(
        "key",
        ["missing_deposit:TRK2", "unknown_deposit:TRK1", "missing_deposit", "bogus:TRK1", ""],
    )
    async def test_resolving_an_unknown_key_is_not_found(
        self, queue: ReconciliationQueue, key: str
    ) -> None:
        await queue.add(difference("TRK1"))

        with pytest.raises(NotFoundError):
            await queue.resolve(key, UNTIL + timedelta(hours=1))

        assert await queue.list_open() == [difference("TRK1")]

    async def test_of_concurrent_adds_of_one_key_exactly_one_queues_it(
        self, queue: ReconciliationQueue
    ) -> None:
        results = await asyncio.gather(
            *(queue.add(difference(detail=f"run {n}")) for n in range(5))
        )

        assert sorted(results) == [False] * 4 + [True]
        [stored] = await queue.list_open()
        assert stored.detail == f"run {results.index(True)}"

    async def test_an_empty_queue_lists_nothing(self, queue: ReconciliationQueue) -> None:
        assert list(await queue.list_open()) == []


class TestInMemoryReconciliationQueue(ReconciliationQueueContract):
    @pytest.fixture
    def queue(self) -> InMemoryReconciliationQueue:
        return InMemoryReconciliationQueue()
