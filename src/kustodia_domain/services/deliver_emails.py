"""The worker's e-mail use case: send the ``email.send`` messages of the outbox.

Messages are claimed under a lease (:mod:`~kustodia_domain.services.outbox_work`), so two
workers never send the same e-mail at once, and their recipients' addresses are read in one
unit of work; each e-mail is then handed to the
:class:`~kustodia_domain.ports.notifications.Notifier` *outside* any transaction, and completed
in a unit of work of its own. A message is completed only after its e-mail was accepted, so a
pass run again sends nothing twice, and a crash between the send and the completion leaves the
message leased until the lease expires: it is sent again (at least once, never lost).

A failed delivery is either transient (failed with backoff: a later pass retries it, and after
the last attempt it is dead) or permanent (completed and reported: retrying would fail the same
way). The notifier's errors are
the adapter's, so the composition root says which are permanent through ``is_permanent``; a
message that cannot be sent at all (an unknown user, a malformed payload) is dropped the same
way. The in-app notification stays readable in every case.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kustodia_domain.ports.clock import Clock
from kustodia_domain.ports.notifications import Notification, Notifier
from kustodia_domain.ports.outbox import ClaimedMessage
from kustodia_domain.ports.unit_of_work import UnitOfWork
from kustodia_domain.services.email_outbox import EMAIL_TOPIC, notification_of
from kustodia_domain.services.outbox_work import DEFAULT_WORKER, RetryPolicy, claim, complete, fail
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
    """Transient failures, still pending: a later pass tries them again (or they are dead)."""
    dropped: tuple[EmailFailure, ...] = ()
    """Permanent failures and unsendable messages, marked dispatched."""


@attrs.frozen(kw_only=True)
class _Email:
    claim: ClaimedMessage
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

    policy: RetryPolicy = attrs.field(factory=RetryPolicy, kw_only=True)

    async def execute(
        self, limit: int = 100, *, worker_id: str = DEFAULT_WORKER
    ) -> EmailDeliveryReport:
        claimed = await claim(
            self.uow, (EMAIL_TOPIC,), limit, worker_id, self.policy, self.clock.now()
        )
        emails: list[_Email] = []
        unsendable: list[EmailFailure] = []
        async with self.uow() as uow:
            for item in claimed:
                try:
                    emails.append(await _email(uow, item))
                except (NotFoundError, ValidationError) as error:
                    unsendable.append(EmailFailure(key=item.key, reason=_reason(error)))
        sent = 0
        deferred: list[EmailFailure] = []
        dropped = list(unsendable)
        for email in emails:
            key = email.claim.key
            try:
                await self.notifier.deliver(email.notification, email.address)
            except Exception as error:  # the outside world's failures are the adapter's types
                failure = EmailFailure(key=key, reason=_reason(error))
                if not self.is_permanent(error):
                    deferred.append(failure)
                    await fail(self.uow, email.claim, failure.reason, self.policy, self.clock.now())
                    continue
                dropped.append(failure)
            else:
                sent += 1
            await complete(self.uow, key, self.clock.now())
        for failure in unsendable:
            await complete(self.uow, failure.key, self.clock.now())
        return EmailDeliveryReport(sent=sent, deferred=tuple(deferred), dropped=tuple(dropped))


async def _email(uow: UnitOfWork, claimed: ClaimedMessage) -> _Email:
    notification = notification_of(claimed.message)
    user = await uow.users.get(notification.user_id)
    return _Email(claim=claimed, notification=notification, address=user.email)


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
