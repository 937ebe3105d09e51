"""The KYC sessions the platform opened: looked up by session id, each settled at most once."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from kustodia_adapters.in_memory.kyc import InMemoryKycSessions
from kustodia_domain.identity.model import KycLevel
from kustodia_domain.ports.kyc import KycSessionRecord, KycSessions, KycStatus
from kustodia_domain.shared.errors import ConflictError

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def opened(session_id: str = "kyc_1", *, user_id: str = "usr_1") -> KycSessionRecord:
    return KycSessionRecord(
        session_id=session_id, user_id=user_id, target_level=KycLevel.N3, started_at=T0
    )


def approved(record: KycSessionRecord, level: KycLevel = KycLevel.N3) -> KycSessionRecord:
    return attrs.evolve(
        record,
        status=KycStatus.APPROVED,
        verified_level=level,
        settled_at=T0 + timedelta(minutes=5),
    )


def rejected(record: KycSessionRecord, *reasons: str) -> KycSessionRecord:
    return attrs.evolve(
        record, status=KycStatus.REJECTED, reasons=reasons, settled_at=T0 + timedelta(minutes=7)
    )


class KycSessionsContract(ABC):
    @pytest.fixture
    @abstractmethod
    def sessions(self) -> KycSessions:
        """An empty store of KYC sessions of the adapter under test."""

    async def test_an_opened_session_reads_back_pending_and_an_unknown_one_is_none(
        self, sessions: KycSessions
    ) -> None:
        # Given in Mexico City's offset: the same instant reads back.
        record = attrs.evolve(opened(), started_at=T0.astimezone(timezone(timedelta(hours=-6))))
        await sessions.add(record)

        stored = await sessions.get("kyc_1")
        assert stored == record
        assert stored is not None
        assert stored.status is KycStatus.PENDING
        assert await sessions.get("kyc_never_opened") is None

    async def test_a_session_id_is_stored_once_and_never_replaced(
        self, sessions: KycSessions
    ) -> None:
        await sessions.add(opened())
        await sessions.settle(rejected(opened(), "blurry document"))

        with pytest.raises(ConflictError):
            await sessions.add(opened(user_id="usr_2"))

        # Replacing the settled session by a pending one would let it be settled again.
        assert await sessions.get("kyc_1") == rejected(opened(), "blurry document")

    async def test_a_pending_session_is_settled_once_with_the_whole_verdict(
        self, sessions: KycSessions
    ) -> None:
        await sessions.add(opened())
        verdict = rejected(opened(), "blurry document", "name mismatch")

        assert await sessions.settle(verdict) is True
        assert await sessions.settle(approved(opened())) is False
        assert await sessions.get("kyc_1") == verdict

    async def test_an_approval_records_the_verified_level(self, sessions: KycSessions) -> None:
        await sessions.add(opened())

        assert await sessions.settle(approved(opened(), KycLevel.N2)) is True

        stored = await sessions.get("kyc_1")
        assert stored == approved(opened(), KycLevel.N2)

    async def test_settling_a_session_never_opened_writes_nothing(
        self, sessions: KycSessions
    ) -> None:
        assert await sessions.settle(approved(opened("kyc_ghost"))) is False
        assert await sessions.get("kyc_ghost") is None

    async def test_sessions_are_settled_independently(self, sessions: KycSessions) -> None:
        await sessions.add(opened("kyc_1"))
        await sessions.add(opened("kyc_2", user_id="usr_2"))

        assert await sessions.settle(approved(opened("kyc_1"))) is True

        assert await sessions.get("kyc_2") == opened("kyc_2", user_id="usr_2")
        assert await sessions.settle(rejected(opened("kyc_2", user_id="usr_2"))) is True

    async def test_of_concurrent_settlements_exactly_one_wins(self, sessions: KycSessions) -> None:
        await sessions.add(opened())
        verdicts = [approved(opened()), rejected(opened(), "a"), rejected(opened(), "b")] * 2

        results = await asyncio.gather(*(sessions.settle(v) for v in verdicts))

        assert sorted(results) == [False] * 5 + [True]
        winner = verdicts[results.index(True)]
        assert await sessions.get("kyc_1") == winner

    async def test_a_reopened_session_is_pending_again_and_can_be_settled_again(
        self, sessions: KycSessions
    ) -> None:
        await sessions.add(opened())
        await sessions.settle(rejected(opened(), "blurry document"))

        await sessions.reopen("kyc_1")

        assert await sessions.get("kyc_1") == opened()
        assert await sessions.settle(approved(opened())) is True
        assert await sessions.get("kyc_1") == approved(opened())

    async def test_reopening_a_pending_or_unknown_session_changes_nothing(
        self, sessions: KycSessions
    ) -> None:
        await sessions.add(opened())

        await sessions.reopen("kyc_1")
        await sessions.reopen("kyc_never_opened")

        assert await sessions.get("kyc_1") == opened()
        assert await sessions.get("kyc_never_opened") is None


class TestInMemoryKycSessions(KycSessionsContract):
    @pytest.fixture
    def sessions(self) -> InMemoryKycSessions:
        return InMemoryKycSessions()
