"""The worker's e-mail use case: send the ``email.send`` messages of the outbox.

Pending messages and their recipients' addresses are read in one unit of work; each e-mail is
then handed to the :class:`~kustodia_domain.ports.notifications.Notifier` *outside* any
transaction, and marked dispatched in a unit of work of its own. A message is marked only
after its e-mail was accepted, so a pass run again sends nothing twice, and a crash between the
send and the mark leaves one message pending: it is sent again (at least once, never lost).
Two passes running at the same moment may both send a message; keeping them apart is the job
of the worker's row leases.

A failed delivery is either transient (left pending: the next pass retries it) or permanent
(marked dispatched and reported: retrying would fail the same way). The notifier's errors are
the adapter's, so the composition root says which are permanent through ``is_permanent``; a
message that cannot be sent at all (an unknown user, a malformed payload) is dropped the same
way. The in-app notification stays readable in every case.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.notifications import Notification, Notifier
from kustodia_domain.ports.outbox import OutboxMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.email_outbox import EMAIL_TOPIC, notification_of
from kustodia_domain.shared.errors import NotFoundError, ValidationError


def never_permanent(error: Exception) -> bool:
    """The default classification: every delivery error is worth another try."""
    return False


@attrs.frozen(kw_only=True)
class EmailFailure:
    """An e-mail that was not sent this pass, and why (no address in ``reason``)."""

    key: str
    reason: str


@attrs.frozen(kw_only=True)
class EmailDeliveryReport:
    """What one pass did: how many e-mails went out, which wait, which were dropped."""

    sent: int = 0
    deferred: tuple[EmailFailure, ...] = ()
    """Transient failures, still pending: the next pass tries them again."""
    dropped: tuple[EmailFailure, ...] = ()
    """Permanent failures and unsendable messages, marked dispatched."""


@attrs.frozen(kw_only=True)
class _Email:
    key: str
    notification: Notification
    address: str


@attrs.frozen
class DeliverEmailsHandler:
    """Sends up to ``limit`` queued e-mails, oldest first; returns an :class:`EmailDeliveryReport`.

    Pending work of other topics never counts toward ``limit`` and never starves the e-mails
    behind it.
    """

    uow: Callable[[], UnitOfWork]
    clock: Clock
    notifier: Notifier
    is_permanent: Callable[[Exception], bool] = attrs.field(default=never_permanent, kw_only=True)

    async def execute(self, limit: int = 100) -> EmailDeliveryReport:
        async with self.uow() as uow:
            emails, unsendable = await self._queued(uow, limit)
        sent = 0
        deferred: list[EmailFailure] = []
        dropped = list(unsendable)
        for email in emails:
            try:
                await self.notifier.deliver(email.notification, email.address)
            except Exception as error:  # the outside world's failures are the adapter's types
                failure = EmailFailure(key=email.key, reason=_reason(error))
                if not self.is_permanent(error):
                    deferred.append(failure)
                    continue
                dropped.append(failure)
            else:
                sent += 1
            await self._mark(email.key)
        for failure in unsendable:
            await self._mark(failure.key)
        return EmailDeliveryReport(sent=sent, deferred=tuple(deferred), dropped=tuple(dropped))

    async def _queued(self, uow: UnitOfWork, limit: int) -> tuple[list[_Email], list[EmailFailure]]:
        # The window widens past other topics' messages until it holds ``limit`` e-mails or
        # the outbox has no more pending work.
        window = limit
        while True:
            messages = await uow.outbox.pending(window)
            emails: list[_Email] = []
            unsendable: list[EmailFailure] = []
            for message in messages:
                if message.topic != EMAIL_TOPIC or len(emails) + len(unsendable) >= limit:
                    continue
                try:
                    emails.append(await _email(uow, message))
                except (NotFoundError, ValidationError) as error:
                    unsendable.append(EmailFailure(key=message.key, reason=_reason(error)))
            if len(emails) + len(unsendable) >= limit or len(messages) < window:
                return emails, unsendable
            window *= 2

    async def _mark(self, key: str) -> None:
        async with self.uow() as uow:
            await uow.outbox.mark_dispatched(key, self.clock.now())
            await uow.commit()


async def _email(uow: UnitOfWork, message: OutboxMessage) -> _Email:
    notification = notification_of(message)
    user = await uow.users.get(notification.user_id)
    return _Email(key=message.key, notification=notification, address=user.email)


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
