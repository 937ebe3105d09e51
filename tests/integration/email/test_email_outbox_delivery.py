"""E-mail through the outbox on the in-memory application: queued once, sent once.

Notifications stored by real use cases are turned into ``email.send`` messages, and
``DeliverEmailsHandler`` sends them with a notifier (a recording one, or the SMTP notifier
against a local server) outside every transaction, then marks them dispatched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType

import pytest

from kustodia_adapters.email.errors import drops_message
from kustodia_adapters.email.smtp import SmtpNotifier, SmtpSecurity, SmtpSettings
from kustodia_adapters.email.templates import FALLBACK, template_for
from kustodia_adapters.in_memory.clock import DEFAULT_START
from kustodia_adapters.in_memory.notifications import RecordingNotifier
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from kustodia_domain.ports.notifications import Notification, Notifier
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.services.deliver_emails import DeliverEmailsHandler
from kustodia_domain.services.dispute_commands import OpenDispute, PostDisputeMessage
from kustodia_domain.services.email_outbox import (
    EMAIL_TOPIC,
    email_key,
    email_message,
    enqueue_emails,
    notification_of,
)
from kustodia_domain.services.escrow_commands import ApproveRelease
from kustodia_domain.shared.errors import ValidationError
from tests.integration.email.smtp_server import HOST, SmtpTestServer
from tests.unit.services.scenario import World, build_world


async def stored_notifications(world: World) -> list[Notification]:
    async with world.app.uow() as uow:
        return [
            notification
            for user in (world.payer, world.payee)
            for notification in await uow.notifications.list_for_user(user.id, limit=1_000)
        ]


async def busy_world() -> tuple[World, list[Notification]]:
    """One escrow released, one disputed with a message: notifications of many kinds."""
    world = await build_world()
    released = await world.funded()
    await world.uc.approve_release.execute(
        ApproveRelease(escrow_id=released.id, actor_id=world.payer.id)
    )
    disputed = await world.funded()
    dispute = await world.uc.open_dispute.execute(
        OpenDispute(
            escrow_id=disputed.id,
            actor_id=world.payer.id,
            reason="goods not delivered",
            details="Nothing arrived.",
        )
    )
    await world.uc.post_dispute_message.execute(
        PostDisputeMessage(
            dispute_id=dispute.id, actor_id=world.payee.id, is_admin=False, body="It shipped."
        )
    )
    return world, await stored_notifications(world)


async def enqueue(world: World, notifications: list[Notification]) -> None:
    async with world.app.uow() as uow:
        await enqueue_emails(uow.outbox, notifications)
        await uow.commit()


async def pending(world: World) -> list[OutboxMessage]:
    return await world.pending(EMAIL_TOPIC)


def handler(
    world: World, notifier: Notifier, is_permanent: Callable[[Exception], bool] | None = None
) -> DeliverEmailsHandler:
    if is_permanent is None:
        return DeliverEmailsHandler(world.app.uow, world.app.clock, notifier)
    return DeliverEmailsHandler(world.app.uow, world.app.clock, notifier, is_permanent=is_permanent)


# ---------------------------------------------------------------------- once, and only once
async def test_every_queued_e_mail_is_sent_once_even_when_the_worker_runs_twice() -> None:
    world, notifications = await busy_world()
    kinds = {n.kind for n in notifications}
    assert {"escrow_funded", "funds_released", "dispute_opened", "dispute_message"} <= kinds
    await enqueue(world, notifications)
    notifier = RecordingNotifier()
    deliver = handler(world, notifier)

    first = await deliver.execute()
    second = await deliver.execute()

    assert first.sent == len(notifications)
    assert (first.deferred, first.dropped) == ((), ())
    assert (second.sent, second.deferred, second.dropped) == (0, (), ())
    sent = Counter(delivery.notification.id for delivery in notifier.delivered)
    assert set(sent) == {n.id for n in notifications}
    assert set(sent.values()) == {1}
    addresses: dict[str, str] = {
        world.payer.id: world.payer.email,
        world.payee.id: world.payee.email,
    }
    for delivery in notifier.delivered:
        assert delivery.email == addresses[delivery.notification.user_id]
        assert delivery.notification in notifications
        assert template_for(delivery.notification.kind) is not FALLBACK
    assert await pending(world) == []


async def test_other_outbox_work_is_left_alone_and_never_counts_toward_the_limit() -> None:
    world, notifications = await busy_world()
    async with world.app.uow() as uow:
        others = [m for m in await uow.outbox.pending(1_000) if m.topic != EMAIL_TOPIC]
    assert others  # the payouts of the release and the dispute's assessment request
    await enqueue(world, notifications)
    oldest = (await pending(world))[0]
    notifier = RecordingNotifier()

    report = await handler(world, notifier).execute(limit=1)

    assert report.sent == 1
    assert [d.notification.id for d in notifier.delivered] == [oldest.payload["notification_id"]]
    async with world.app.uow() as uow:
        still = [m for m in await uow.outbox.pending(1_000) if m.topic != EMAIL_TOPIC]
    assert still == others
    assert len(await pending(world)) == len(notifications) - 1


async def test_the_use_cases_queue_one_e_mail_per_notification_they_store() -> None:
    world, notifications = await busy_world()
    queued = await pending(world)
    assert sorted(m.key for m in queued) == sorted(email_key(n.id) for n in notifications)
    assert {notification_of(m) for m in queued} == set(notifications)


async def test_enqueueing_the_same_notifications_again_queues_nothing_more() -> None:
    world, notifications = await busy_world()
    await enqueue(world, notifications)
    await enqueue(world, notifications)
    queued = await pending(world)
    assert len(queued) == len(notifications)
    assert {m.key for m in queued} == {email_key(n.id) for n in notifications}


# ---------------------------------------------------------------------- outside the transaction
class TrackedUnitOfWork(InMemoryUnitOfWork):
    """Counts the units of work open at any moment."""

    open_now = 0

    async def __aenter__(self) -> TrackedUnitOfWork:
        TrackedUnitOfWork.open_now += 1
        return await super().__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        TrackedUnitOfWork.open_now -= 1
        await super().__aexit__(exc_type, exc, tb)


class CheckingNotifier(Notifier):
    """Records, for each e-mail, how many transactions were open and whether it was pending."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.seen: list[tuple[int, bool]] = []

    async def deliver(self, notification: Notification, email: str) -> None:
        entry = self.store.state.outbox[email_key(notification.id)]
        self.seen.append((TrackedUnitOfWork.open_now, entry.dispatched_at is None))


async def test_the_notifier_runs_outside_any_transaction_and_before_the_mark() -> None:
    world, notifications = await busy_world()
    await enqueue(world, notifications)
    store = world.app.store
    notifier = CheckingNotifier(store)
    deliver = DeliverEmailsHandler(lambda: TrackedUnitOfWork(store), world.app.clock, notifier)

    report = await deliver.execute()

    assert report.sent == len(notifications)
    assert notifier.seen == [(0, True)] * len(notifications)
    assert TrackedUnitOfWork.open_now == 0


# ---------------------------------------------------------------------- failures, over SMTP
def smtp(port: int) -> SmtpNotifier:
    return SmtpNotifier(
        SmtpSettings(
            host=HOST,
            port=port,
            from_address="no-reply@kustodia.test",
            security=SmtpSecurity.NONE,
            timeout_seconds=2,
        )
    )


async def test_a_transient_refusal_waits_for_the_next_pass_then_goes_out_once() -> None:
    world, notifications = await busy_world()
    await enqueue(world, notifications)
    async with SmtpTestServer() as server:
        deliver = handler(world, smtp(server.port), is_permanent=drops_message)
        server.replies["RCPT"] = "451 4.7.1 try again later"
        refused = await deliver.execute()
        world.later(timedelta(minutes=5))
        del server.replies["RCPT"]
        accepted = await deliver.execute()
        again = await deliver.execute()

    assert refused.sent == 0
    assert len(refused.deferred) == len(notifications)
    assert all("451" in failure.reason for failure in refused.deferred)
    assert refused.dropped == ()
    assert accepted.sent == len(notifications)
    assert again.sent == 0
    assert len(server.messages) == len(notifications)
    ids = Counter(m.message()["X-Kustodia-Notification"] for m in server.messages)
    assert set(ids) == {n.id for n in notifications}
    assert set(ids.values()) == {1}
    assert await pending(world) == []


async def test_a_permanent_refusal_is_dropped_and_never_retried() -> None:
    world, _ = await busy_world()
    queued = await pending(world)  # the use cases queued an e-mail per notification
    async with SmtpTestServer() as server:
        server.replies["RCPT"] = "550 5.1.1 mailbox unavailable"
        deliver = handler(world, smtp(server.port), is_permanent=drops_message)
        report = await deliver.execute()
        del server.replies["RCPT"]
        later = await deliver.execute()
    assert report.sent == 0
    assert [f.key for f in report.dropped] == [m.key for m in queued]
    assert all(world.payer.email not in f.reason for f in report.dropped)
    assert (later.sent, later.dropped, later.deferred) == (0, (), ())
    assert server.messages == []
    assert await pending(world) == []


async def test_without_a_classification_every_failure_is_retried() -> None:
    world, _ = await busy_world()
    queued = await pending(world)  # the use cases queued an e-mail per notification
    async with SmtpTestServer() as server:
        server.replies["RCPT"] = "550 5.1.1 mailbox unavailable"
        report = await handler(world, smtp(server.port)).execute()
    assert [f.key for f in report.deferred] == [m.key for m in queued]
    assert len(await pending(world)) == len(queued)


# ---------------------------------------------------------------------- unsendable messages
async def test_messages_that_cannot_be_sent_are_dropped_without_calling_the_notifier() -> None:
    world, notifications = await busy_world()
    at = world.app.clock.now()
    stranger = email_message(notifications[0])
    stranger = OutboxMessage(
        key=email_key("ntf_stranger"),
        topic=EMAIL_TOPIC,
        payload={**stranger.payload, "notification_id": "ntf_stranger", "user_id": "usr_nobody"},
        created_at=at,
    )
    broken = OutboxMessage(
        key=email_key("ntf_broken"), topic=EMAIL_TOPIC, payload={"user_id": "x"}, created_at=at
    )
    async with world.app.uow() as uow:
        await uow.outbox.add(stranger)
        await uow.outbox.add(broken)
        await uow.commit()
    notifier = RecordingNotifier()

    report = await handler(world, notifier).execute()

    # Only the e-mails of real notifications reach the notifier.
    assert {d.notification.id for d in notifier.delivered} == {n.id for n in notifications}
    assert sorted(f.key for f in report.dropped) == sorted([stranger.key, broken.key])
    reasons = " ".join(f.reason for f in report.dropped)
    assert "NotFoundError" in reasons
    assert "ValidationError" in reasons
    assert await pending(world) == []


def test_the_payload_carries_the_notification_and_nothing_else() -> None:
    notification = Notification(
        id="ntf_1",
        user_id="usr_1",
        kind="escrow_funded",
        message="Escrow 1000001 is funded and in custody.",
        escrow_id="esc_1",
        created_at=DEFAULT_START,
    )
    message = email_message(notification)
    assert message.key == "email.send:ntf_1"
    assert message.topic == EMAIL_TOPIC
    assert set(message.payload) == {
        "notification_id", "user_id", "kind", "message", "escrow_id", "created_at"
    }  # fmt: skip
    assert "@" not in str(message.payload)
    assert notification_of(message) == notification
    with pytest.raises(ValidationError):
        notification_of(
            OutboxMessage(key="k", topic="payout.send", payload={}, created_at=DEFAULT_START)
        )
    bad_time = OutboxMessage(
        key="k", topic=EMAIL_TOPIC, payload={**message.payload, "created_at": "yesterday"},
        created_at=DEFAULT_START,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        notification_of(bad_time)
