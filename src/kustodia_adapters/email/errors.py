"""The one error the e-mail notifiers raise, transient or permanent as SMTP says."""

from __future__ import annotations

from typing import Literal

Stage = Literal["address", "connect", "tls", "auth", "mail", "rcpt", "data"]
"""Where the delivery failed: before the session (``address``), or at a step of the session."""

_MESSAGE_STAGES: frozenset[Stage] = frozenset({"address", "rcpt", "data"})


class NotificationDeliveryError(Exception):
    """An e-mail was not delivered.

    ``transient`` follows SMTP: a 4xx reply, a refused or broken connection and a timeout are
    worth another try; a 5xx reply is permanent. ``code`` is the server's reply code when there
    was one, and ``stage`` the step that failed. The message never contains the address.
    """

    def __init__(
        self, message: str, *, transient: bool, stage: Stage, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.stage = stage
        self.code = code

    @property
    def permanent(self) -> bool:
        """The server will not accept this as it is: a 5xx reply or an unusable address."""
        return not self.transient


def drops_message(error: Exception) -> bool:
    """Whether a failed e-mail should be given up rather than tried again.

    Only a permanent refusal of *this* e-mail counts: an unusable address, or a 5xx reply to
    its recipient or its content. A permanent refusal of the session itself (greeting, EHLO,
    STARTTLS, AUTH, the sender address) would meet every e-mail alike: it is a configuration
    problem, and the e-mails wait for an operator to fix it. Pass this function to
    ``DeliverEmailsHandler(is_permanent=...)``.
    """
    return (
        isinstance(error, NotificationDeliveryError)
        and error.permanent
        and error.stage in _MESSAGE_STAGES
    )
