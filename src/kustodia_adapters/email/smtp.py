"""E-mail over SMTP with the standard library: ``smtplib`` in a worker thread.

One connection per e-mail: the worker sends few, and a fresh session never inherits a broken
one. Every socket operation has ``timeout_seconds``. Failures become
:class:`~kustodia_adapters.email.errors.NotificationDeliveryError`: a 4xx reply, a refused or
broken connection and a timeout are transient, a 5xx reply permanent. The ``Message-ID`` is
made from the notification's id, so an e-mail sent again after a crash is recognisably the
same message. The recipient is written whole only where SMTP needs it (``RCPT TO`` and the
``To`` header); the log shows it masked.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import attrs

from kustodia_adapters.email.errors import NotificationDeliveryError, Stage
from kustodia_adapters.email.masking import mask_address, redact
from kustodia_adapters.email.templates import RenderedEmail, render
from kustodia_domain.ports.notifications import Notification, Notifier

log = logging.getLogger("kustodia.email.smtp")

_TRANSIENT_CLASS = 4
_PERMANENT_CLASS = 5
_MAX_PORT = 65_535
_REPLY_CHARS = 200
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class SmtpSecurity(enum.StrEnum):
    """How the connection is protected."""

    NONE = "none"
    """Plain text: only for a relay on the same host or a test server."""
    STARTTLS = "starttls"
    """Plain connection upgraded with ``STARTTLS`` before anything else (usually port 587)."""
    SSL = "ssl"
    """TLS from the first byte ("implicit TLS", usually port 465)."""


def _port(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 < value <= _MAX_PORT:
        raise ValueError(f"{attribute.name} must be between 1 and {_MAX_PORT}")


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive")


def _address(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _usable_address(value):
        raise ValueError(f"{attribute.name} must be an e-mail address")


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how to send.

    ``username`` and ``password`` go together (AUTH is used only when they are set).
    ``ssl_context`` defaults to the system's trust store with hostname checking.
    """

    host: str
    port: int = attrs.field(default=587, validator=_port)
    from_address: str = attrs.field(validator=_address)
    from_name: str = "Kustodia"
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    timeout_seconds: float = attrs.field(default=10.0, validator=_positive)
    local_hostname: str | None = None
    ssl_context: ssl.SSLContext | None = attrs.field(default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.host:
            raise ValueError("host must not be empty")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")

    def tls_context(self) -> ssl.SSLContext:
        """The context for STARTTLS or SSL."""
        return self.ssl_context or ssl.create_default_context()


def _usable_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain) and not any(c in value for c in "\r\n<> ,;")


class SmtpNotifier(Notifier):
    """Sends each notification as one e-mail through the SMTP server of ``settings``."""

    def __init__(self, settings: SmtpSettings, *, app_url: str | None = None) -> None:
        self._settings = settings
        self._app_url = app_url

    async def deliver(self, notification: Notification, email: str) -> None:
        """Send ``notification`` to ``email``.

        Raises:
            NotificationDeliveryError: the server refused it or could not be reached.
        """
        masked = mask_address(email)
        if not _usable_address(email):
            log.warning("e-mail not sent: unusable address %s for %s", masked, notification.id)
            raise NotificationDeliveryError(
                f"unusable recipient address {masked}", transient=False, stage="address"
            )
        message = self.compose(notification, render(notification, app_url=self._app_url), email)
        try:
            await asyncio.to_thread(self._send, message, email)
        except NotificationDeliveryError as error:
            log.warning(
                "e-mail %s to %s not delivered (%s, stage %s, code %s): %s",
                notification.id,
                masked,
                "transient" if error.transient else "permanent",
                error.stage,
                error.code,
                error,
            )
            raise
        log.info("e-mail %s (%s) sent to %s", notification.id, notification.kind, masked)

    def compose(
        self, notification: Notification, rendered: RenderedEmail, email: str
    ) -> EmailMessage:
        """The MIME message: plain text with an HTML alternative, and its headers."""
        settings = self._settings
        domain = settings.from_address.rpartition("@")[2]
        message = EmailMessage()
        message["From"] = formataddr((settings.from_name, settings.from_address))
        message["To"] = email
        message["Subject"] = rendered.subject
        message["Date"] = format_datetime(notification.created_at)
        message["Message-ID"] = f"<{_ID_UNSAFE.sub('-', notification.id)}@{domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message["Content-Language"] = "es"
        message["X-Kustodia-Notification"] = _ID_UNSAFE.sub("-", notification.id)
        message["X-Kustodia-Kind"] = _ID_UNSAFE.sub("-", notification.kind)
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    # ------------------------------------------------------------ in the worker thread
    def _send(self, message: EmailMessage, recipient: str) -> None:
        settings = self._settings
        stage: Stage = "connect"
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            client.ehlo_or_helo_if_needed()
            if settings.security is SmtpSecurity.STARTTLS:
                stage = "tls"
                client.starttls(context=settings.tls_context())
                client.ehlo()
            if settings.username is not None and settings.password is not None:
                stage = "auth"
                client.login(settings.username, settings.password)
            stage = "mail"
            client.send_message(message, from_addr=settings.from_address, to_addrs=[recipient])
        except OSError as error:  # smtplib's errors included
            if client is not None:
                client.close()  # no QUIT: after a timeout it would only wait once more
            # Not chained: smtplib's errors hold the recipient whole, and tracebacks get logged.
            raise _translate(error, stage) from None
        _quit(client)

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        if settings.security is SmtpSecurity.SSL:
            return smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=settings.local_hostname,
                timeout=settings.timeout_seconds,
                context=settings.tls_context(),
            )
        return smtplib.SMTP(
            settings.host,
            settings.port,
            local_hostname=settings.local_hostname,
            timeout=settings.timeout_seconds,
        )


def _quit(client: smtplib.SMTP) -> None:
    """QUIT politely; a server that hangs up first changes nothing about what was sent."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _reply(code: int, reply: bytes | str, stage: Stage) -> NotificationDeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    # The server's words may echo the recipient: they are kept masked and short.
    said = redact(" ".join(text.split()))[:_REPLY_CHARS]
    klass = code // 100
    if klass not in {_TRANSIENT_CLASS, _PERMANENT_CLASS}:
        return NotificationDeliveryError(
            f"unexpected SMTP reply at {stage}: {code} {said}",
            transient=True,
            stage=stage,
            code=code,
        )
    return NotificationDeliveryError(
        f"SMTP server refused the e-mail at {stage}: {code} {said}",
        transient=klass == _TRANSIENT_CLASS,
        stage=stage,
        code=code,
    )


def _translate(error: OSError, stage: Stage) -> NotificationDeliveryError:
    """The error for what went wrong at ``stage`` (4xx, network: transient; 5xx: permanent)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, reply = next(iter(error.recipients.values()))
        return _reply(code, reply, "rcpt")
    if isinstance(error, smtplib.SMTPResponseException):
        # The greeting, EHLO, STARTTLS or AUTH fail at the step the session was at.
        at: Stage = stage
        if isinstance(error, smtplib.SMTPSenderRefused):
            at = "mail"
        elif isinstance(error, smtplib.SMTPDataError):
            at = "data"
        return _reply(error.smtp_code, error.smtp_error, at)
    return _failure(error, stage)


def _failure(error: OSError, stage: Stage) -> NotificationDeliveryError:
    """A failure without a reply code: the network is transient, the set-up is not."""
    name = type(error).__name__
    if isinstance(error, ssl.SSLCertVerificationError):
        return NotificationDeliveryError(
            "the SMTP server's certificate did not verify", transient=False, stage="tls"
        )
    # smtplib turns a read that timed out into SMTPServerDisconnected; the timeout is its cause.
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return NotificationDeliveryError(
            f"SMTP server timed out at {stage}", transient=True, stage=stage
        )
    # smtplib's errors are OSErrors too: of them, only a dropped connection is the network's.
    if isinstance(error, smtplib.SMTPException) and not isinstance(
        error, smtplib.SMTPServerDisconnected
    ):
        # SMTPNotSupportedError (no STARTTLS, no AUTH) and the like: the settings do not fit.
        return NotificationDeliveryError(
            f"SMTP session failed at {stage}: {name}: {redact(str(error))[:_REPLY_CHARS]}",
            transient=False,
            stage=stage,
        )
    return NotificationDeliveryError(
        f"SMTP connection failed at {stage}: {name}", transient=True, stage=stage
    )
