"""Stored in-app notifications, and the notifier that delivers them outside the platform."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

import pytest

from kustodia_adapters.in_memory.notifications import Delivery, RecordingNotifier
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.notifications import Notification, Notifier
from tests.contract.builders import PAYEE, PAYER, T0, UnitOfWorkFactory


def notification(notification_id: str, user_id: str = PAYER, *, minutes: int = 0) -> Notification:
    return Notification(
        id=notification_id,
        user_id=user_id,
        kind="escrow.funded",
        message="Your escrow was funded.",
        escrow_id="esc_1",
        created_at=T0 + timedelta(minutes=minutes),
    )


class NotificationRepositoryContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def new_uow(self) -> UnitOfWorkFactory:
        """Units of work over one empty store of the adapter under test."""

    async def test_a_user_reads_their_own_notifications_newest_first(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.notifications.add(notification("ntf_1", minutes=0))
            await uow.notifications.add(notification("ntf_2", minutes=2))
            await uow.notifications.add(notification("ntf_3", PAYEE, minutes=1))
            await uow.notifications.add(notification("ntf_4", minutes=1))
            await uow.commit()

        async with new_uow() as uow:
            mine = await uow.notifications.list_for_user(PAYER, limit=10)
            latest = await uow.notifications.list_for_user(PAYER, limit=1)
            nobody = await uow.notifications.list_for_user("usr_nobody", limit=10)
        assert [n.id for n in mine] == ["ntf_2", "ntf_4", "ntf_1"]
        assert latest == [notification("ntf_2", minutes=2)]
        assert nobody == []

    async def test_uncommitted_notifications_are_not_stored(
        self, new_uow: UnitOfWorkFactory
    ) -> None:
        async with new_uow() as uow:
            await uow.notifications.add(notification("ntf_1"))

        async with new_uow() as uow:
            assert await uow.notifications.list_for_user(PAYER, limit=10) == []


class NotifierContract(ABC):
    @pytest.fixture
    @abstractmethod
    async def notifier(self) -> Notifier:
        """The notifier under test, delivering to a sandbox."""

    async def test_delivering_a_notification_succeeds(self, notifier: Notifier) -> None:
        await notifier.deliver(notification("ntf_1"), "ana@example.mx")


class TestInMemoryNotificationRepository(NotificationRepositoryContract):
    @pytest.fixture
    async def new_uow(self) -> UnitOfWorkFactory:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)


class TestRecordingNotifier(NotifierContract):
    @pytest.fixture
    async def notifier(self) -> RecordingNotifier:
        return RecordingNotifier()

    async def test_it_keeps_every_delivery_in_order(self, notifier: RecordingNotifier) -> None:
        await notifier.deliver(notification("ntf_1"), "ana@example.mx")
        await notifier.deliver(notification("ntf_2"), "luis@example.mx")

        assert notifier.delivered == [
            Delivery(email="ana@example.mx", notification=notification("ntf_1")),
            Delivery(email="luis@example.mx", notification=notification("ntf_2")),
        ]
