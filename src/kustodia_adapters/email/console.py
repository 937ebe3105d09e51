"""The default notifier: each e-mail written to a text stream instead of being sent."""

from __future__ import annotations

import sys
from typing import TextIO

from kustodia_adapters.email.masking import mask_address
from kustodia_adapters.email.templates import render
from kustodia_domain.ports.notifications import Notification, Notifier

RULE = "=" * 72


class ConsoleNotifier(Notifier):
    """Writes the rendered subject and plain text of each e-mail to ``stream`` (stdout by default).

    Nothing leaves the process, so this is what sandbox and development runs use. The address is
    masked: the output is a log, and logs never hold whole addresses.
    """

    def __init__(self, stream: TextIO | None = None, *, app_url: str | None = None) -> None:
        self._stream = stream
        self._app_url = app_url

    async def deliver(self, notification: Notification, email: str) -> None:
        rendered = render(notification, app_url=self._app_url)
        block = "\n".join(
            [
                RULE,
                "E-mail (console notifier: not sent)",
                f"To: {mask_address(email)}",
                f"Subject: {rendered.subject}",
                f"Notification: {notification.id} ({notification.kind})",
                "",
                rendered.text.rstrip("\n"),
                RULE,
                "",
            ]
        )
        # Looked up at each call, so that a redirected stdout (tests, daemons) is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(block)
        stream.flush()
