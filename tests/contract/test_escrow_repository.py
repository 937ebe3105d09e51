"""Escrows: unique references, the product's queries and optimistic versions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.escrow.due import DueWork
from kustodia_domain.escrow.model import Escrow
from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.shared.errors import ConcurrencyConflictError, ConflictError, NotFoundError
from tests.contract.builders import (
    BROKER,
    FUNDING_WINDOW,
    PAYEE,
    PAYER,
    T0,
    UnitOfWorkFactory,
    commit_in_new_unit,
    complete,
    escrow,
    fund,
)


class EscrowRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def _add(self, new_uow: UnitOfWorkFactory, *escrows: Escrow) -> None:
        async with new_uow() as uow:
            for each in escrows:
                await uow.escrows.add(each)
            await uow.commit()

    async def test_an_added_escrow_reads_back_equal_at_version_one(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        added = fund(escrow())
        await self._add(new_uow, added)

        async with new_uow() as uow:
            stored = await uow.escrows.get("esc_1")
        assert stored == added
        assert stored.version == 1

    async def test_getting_an_unknown_escrow_raises_not_found(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            with pytest.raises(NotFoundError):
                await uow.escrows.get("esc_nothing")

    async def test_a_reference_already_in_use_is_a_conflict(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, escrow("esc_1", reference="1234567"))

        duplicate = escrow("esc_2", reference="1234567")
        with pytest.raises(ConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.escrows.add(duplicate))

    async def test_escrows_are_found_by_reference_and_by_payout(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        funded = fund(escrow("esc_1", reference="1000001"))
        await self._add(new_uow, funded, escrow("esc_2", reference="1000002"))

        async with new_uow() as uow:
            by_reference = await uow.escrows.find_by_reference("1000002")
            by_payout = await uow.escrows.find_by_payout(funded.payouts[-1].id)
            missing = await uow.escrows.find_by_reference("9999999")
            no_payout = await uow.escrows.find_by_payout("esc_1-p99")
        assert by_reference is not None
        assert by_reference.id == "esc_2"
        assert by_payout is not None
        assert by_payout.id == "esc_1"
        assert (missing, no_payout) == (None, None)

    async def test_a_user_sees_escrows_as_payer_payee_or_broker_newest_first(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(
            new_uow,
            escrow("esc_old", reference="1000001", at=T0),
            escrow("esc_mid", reference="1000002", at=T0 + timedelta(hours=1), brokers=[BROKER]),
            escrow("esc_new", reference="1000003", at=T0 + timedelta(hours=2), payer="usr_x"),
        )

        async with new_uow() as uow:
            payer = await uow.escrows.list_for_user(PAYER, limit=10, offset=0)
            payee = await uow.escrows.list_for_user(PAYEE, limit=10, offset=0)
            broker = await uow.escrows.list_for_user(BROKER, limit=10, offset=0)
            outsider = await uow.escrows.list_for_user("usr_outsider", limit=10, offset=0)
        assert [e.id for e in payer] == ["esc_mid", "esc_old"]
        assert [e.id for e in payee] == ["esc_new", "esc_mid", "esc_old"]
        assert [e.id for e in broker] == ["esc_mid"]
        assert outsider == []

    async def test_listing_pages_with_limit_and_offset(self, new_uow: UnitOfWorkFactory) -> None:
        await self._add(
            new_uow,
            *(
                escrow(f"esc_{n}", reference=f"100000{n}", at=T0 + timedelta(minutes=n))
                for n in range(5)
            ),
        )

        async with new_uow() as uow:
            page = await uow.escrows.list_for_user(PAYEE, limit=2, offset=1)
            beyond = await uow.escrows.list_for_user(PAYEE, limit=2, offset=5)
        assert [e.id for e in page] == ["esc_3", "esc_2"]
        assert beyond == []

    async def test_due_for_jobs_lists_overdue_unfunded_and_custody_escrows_to_accrue(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        now = T0 + FUNDING_WINDOW
        cancelled = escrow("esc_cancelled", reference="1000004")
        cancelled.cancel(PAYER, T0)
        held = fund(escrow("esc_held", reference="1000005"))
        held.hold("manual review", T0)
        await self._add(
            new_uow,
            escrow("esc_overdue", reference="1000001"),
            escrow("esc_request", reference="1000002", created_by=CreatorRole.PAYEE),
            escrow("esc_in_window", reference="1000003", at=T0 + timedelta(days=1)),
            cancelled,
            held,
            fund(escrow("esc_funded", reference="1000006")),
            complete(fund(escrow("esc_done", reference="1000007")), T0),
        )

        async with new_uow() as uow:
            due = await uow.escrows.due_for_jobs(DueWork(now), limit=100)
        # Funded on T0, a week ago: yield accrues for both in custody.
        assert sorted(due) == ["esc_funded", "esc_held", "esc_overdue", "esc_request"]

    async def test_due_for_jobs_leaves_out_escrows_in_custody_with_nothing_due(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        now = T0 + timedelta(days=20)
        before_deadline = fund(escrow("esc_in_custody", reference="1000001"), at=now)
        past_deadline = fund(escrow("esc_past", reference="1000002"))
        held = fund(escrow("esc_held", reference="1000003"))
        held.hold("manual review", T0)
        reminded, to_remind = (
            fund(escrow(f"esc_{name}", reference=f"100000{n}", kind=EscrowKind.DUAL_APPROVAL))
            for n, name in ((4, "reminded"), (5, "to_remind"))
        )
        assert reminded.remind_if_due(now - timedelta(hours=23))
        assert to_remind.remind_if_due(now - timedelta(hours=24))
        for each in (past_deadline, held, reminded, to_remind):
            each.accrue_yield(now.date(), 100_000, now)  # accrued through yesterday
        await self._add(new_uow, before_deadline, past_deadline, held, reminded, to_remind)

        async with new_uow() as uow:
            due = await uow.escrows.due_for_jobs(DueWork(now), limit=100)
            tomorrow = await uow.escrows.due_for_jobs(DueWork(now + timedelta(days=1)), limit=100)
        # Released at its deadline; reminded again a day after the last reminder.
        assert due == ["esc_past", "esc_to_remind"]
        # A new day: yield is due on every escrow in custody.
        assert sorted(tomorrow) == [
            "esc_held", "esc_in_custody", "esc_past", "esc_reminded", "esc_to_remind"
        ]  # fmt: skip

    async def test_due_for_jobs_lists_exactly_what_due_work_includes(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        cancelled = escrow("esc_cancelled", reference="1000003")
        cancelled.cancel(PAYER, T0)
        held = fund(escrow("esc_held", reference="1000004"))
        held.hold("manual review", T0)
        reminded = fund(escrow("esc_dual", reference="1000007", kind=EscrowKind.DUAL_APPROVAL))
        assert reminded.remind_if_due(T0 + timedelta(days=12))
        accrued = fund(escrow("esc_accrued", reference="1000008"))
        accrued.accrue_yield((T0 + timedelta(days=4)).date(), 100_000, T0 + timedelta(days=4))
        stored = [
            escrow("esc_unfunded", reference="1000001"),
            escrow("esc_request", reference="1000002", created_by=CreatorRole.PAYEE),
            cancelled,
            held,
            fund(escrow("esc_funded", reference="1000005")),
            complete(fund(escrow("esc_done", reference="1000006")), T0),
            reminded,
            accrued,
        ]
        await self._add(new_uow, *stored)

        for step in range(0, 25 * 24, 5):  # every five hours for 25 days
            work = DueWork(T0 + timedelta(hours=step))
            async with new_uow() as uow:
                due = await uow.escrows.due_for_jobs(work, limit=100)
            # All opened at T0: oldest first is by id.
            assert due == sorted(e.id for e in stored if work.includes(e)), work.now

    async def test_due_for_jobs_pages_through_the_same_list_oldest_first(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        now = T0 + FUNDING_WINDOW + timedelta(days=1)
        # Unfunded and overdue; opened at three moments, two of them shared, so the order
        # within a moment is by id; two escrows with nothing due sit between them.
        moments = [T0 + timedelta(minutes=m) for m in (2, 0, 1, 0, 2, 1, 0)]
        due = [escrow(f"esc_{n}", reference=f"100000{n}", at=at) for n, at in enumerate(moments)]
        done = complete(fund(escrow("esc_done", reference="1000100")), T0)
        cancelled = escrow("esc_cancelled", reference="1000101", at=T0 + timedelta(minutes=1))
        cancelled.cancel(PAYER, T0)
        await self._add(new_uow, *due, done, cancelled)
        expected = [e.id for e in sorted(due, key=lambda e: (e.created_at, e.id))]

        work = DueWork(now)
        for limit in (1, 2, 3, 7, 8):
            pages: list[list[str]] = []
            after: str | None = None
            while not pages or len(pages[-1]) == limit:
                async with new_uow() as uow:
                    page = await uow.escrows.due_for_jobs(work, limit=limit, after=after)
                pages.append(list(page))
                after = page[-1] if page else None
            assert [i for page in pages for i in page] == expected, limit
            assert all(len(page) <= limit for page in pages)

        async with new_uow() as uow:
            assert await uow.escrows.due_for_jobs(work, limit=5, after="esc_nothing") == []

    async def test_work_done_on_a_page_of_due_escrows_does_not_move_the_next(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        now = T0 + FUNDING_WINDOW + timedelta(hours=1)
        stored = [
            escrow(f"esc_{n}", reference=f"100000{n}", at=T0 + timedelta(minutes=n))
            for n in range(5)
        ]
        await self._add(new_uow, *stored)
        work = DueWork(now)
        async with new_uow() as uow:
            first = await uow.escrows.due_for_jobs(work, limit=2)
        async with new_uow() as uow:
            for escrow_id in first:  # no longer due once expired
                expired = await uow.escrows.get(escrow_id)
                assert expired.expire_if_due(now)
                await uow.escrows.save(expired)
            await uow.commit()

        async with new_uow() as uow:
            following = await uow.escrows.due_for_jobs(work, limit=2, after=first[-1])
            from_the_start = await uow.escrows.due_for_jobs(work, limit=2)
        assert first == ["esc_0", "esc_1"]
        assert following == ["esc_2", "esc_3"]
        assert from_the_start == ["esc_2", "esc_3"]

    async def test_saving_bumps_the_version_and_a_stale_save_conflicts(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, fund(escrow()))

        async with new_uow() as uow:
            fresh = await uow.escrows.get("esc_1")
            stale = await uow.escrows.get("esc_1")
            fresh.hold("manual review", T0)
            await uow.escrows.save(fresh)
            assert fresh.version == 2
            with pytest.raises(ConcurrencyConflictError):
                await uow.escrows.save(stale)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.escrows.get("esc_1")
        assert (stored.hold_reason, stored.version) == ("manual review", 2)

    async def test_who_placed_a_hold_reads_back(self, new_uow: UnitOfWorkFactory) -> None:
        await self._add(new_uow, fund(escrow()))
        async with new_uow() as uow:
            held = await uow.escrows.get("esc_1")
            held.hold("risk screening of release", T0, by_risk=True)
            await uow.escrows.save(held)
            await uow.commit()

        async with new_uow() as uow:
            stored = await uow.escrows.get("esc_1")
        assert stored == held
        assert stored.hold_by_risk

    async def test_a_save_read_before_another_commit_conflicts(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        await self._add(new_uow, fund(escrow()))
        async with new_uow() as uow:
            stale = await uow.escrows.get("esc_1")
        async with new_uow() as uow:
            fresh = await uow.escrows.get("esc_1")
            fresh.hold("first", T0)
            await uow.escrows.save(fresh)
            await uow.commit()

        stale.hold("second", T0)
        with pytest.raises(ConcurrencyConflictError):
            await commit_in_new_unit(new_uow, lambda uow: uow.escrows.save(stale))


class TestInMemoryEscrowRepository(EscrowRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
