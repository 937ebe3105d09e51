"""The SMTP notifier against a real SMTP server on a local port.

Delivery with its envelope, headers, subject and both bodies; STARTTLS, implicit TLS and AUTH;
and every failure translated: 4xx and network trouble transient, 5xx permanent.
"""

from __future__ import annotations

import logging
import ssl
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustodia_adapters.email.errors import NotificationDeliveryError, drops_message
from kustodia_adapters.email.smtp import SmtpNotifier, SmtpSecurity, SmtpSettings
from kustodia_adapters.email.templates import render
from kustodia_domain.ports.notifications import Notification
from tests.integration.email.smtp_server import (
    HOST,
    SelfSignedCertificate,
    SmtpTestServer,
    free_port,
    make_certificate,
)

TO = "payer@example.mx"
MASKED = "p***@example.mx"
SENDER = "no-reply@kustodia.test"
FUNDED = Notification(
    id="ntf_000042",
    user_id="usr_000001",
    kind="escrow_funded",
    message="Escrow 1000001 is funded and in custody.",
    escrow_id="esc_000001",
    created_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
)


def settings(port: int, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": HOST,
        "port": port,
        "from_address": SENDER,
        "security": SmtpSecurity.NONE,
        "timeout_seconds": 2.0,
    }
    values.update(overrides)
    return SmtpSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    return make_certificate(Path(tmp_path_factory.mktemp("tls")))


async def deliver_failing(notifier: SmtpNotifier) -> NotificationDeliveryError:
    with pytest.raises(NotificationDeliveryError) as caught:
        await notifier.deliver(FUNDED, TO)
    return caught.value


# ---------------------------------------------------------------------- delivery
async def test_an_e_mail_arrives_with_its_envelope_headers_subject_and_bodies(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kustodia.email")
    async with SmtpTestServer() as server:
        notifier = SmtpNotifier(settings(server.port), app_url="https://app.kustodia.mx")
        await notifier.deliver(FUNDED, TO)

    [received] = server.messages
    assert received.mail_from == SENDER
    assert received.rcpt_to == [TO]  # the envelope carries the address whole
    assert f"RCPT TO:<{TO}>" in server.commands
    assert server.commands[-1] == "QUIT"

    message = received.message()
    rendered = render(FUNDED, app_url="https://app.kustodia.mx")
    assert message["From"] == f"Kustodia <{SENDER}>"
    assert message["To"] == TO
    assert message["Subject"] == rendered.subject == "Kustodia: Tu custodia está financiada"
    assert message["Message-ID"] == "<ntf_000042@kustodia.test>"
    assert message["Date"] == "Thu, 15 Jan 2026 12:00:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Kustodia-Kind"] == "escrow_funded"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content() == rendered.text
    assert html.get_content() == rendered.html
    assert message.get_content_type() == "multipart/alternative"

    # The log names the e-mail and masks the address; it never holds the address whole.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"e-mail ntf_000042 (escrow_funded) sent to {MASKED}" in logged
    assert TO not in logged


async def test_starttls_with_auth_sends_over_tls(certificate: SelfSignedCertificate) -> None:
    async with SmtpTestServer(
        starttls=certificate.server_context(), credentials=("kustodia", "s3cret")
    ) as server:
        notifier = SmtpNotifier(
            settings(
                server.port,
                security=SmtpSecurity.STARTTLS,
                username="kustodia",
                password="s3cret",  # noqa: S106 - the test server's
                ssl_context=certificate.client_context(),
            )
        )
        await notifier.deliver(FUNDED, TO)
    [received] = server.messages
    assert received.over_tls
    assert received.user == "kustodia"
    assert "STARTTLS" in server.commands
    assert all("s3cret" not in command for command in server.commands)


async def test_implicit_tls_sends_over_tls(certificate: SelfSignedCertificate) -> None:
    async with SmtpTestServer(implicit_tls=certificate.server_context()) as server:
        notifier = SmtpNotifier(
            settings(
                server.port, security=SmtpSecurity.SSL, ssl_context=certificate.client_context()
            )
        )
        await notifier.deliver(FUNDED, TO)
    [received] = server.messages
    assert received.over_tls
    assert received.user is None


# ---------------------------------------------------------------------- refusals
async def test_a_451_is_transient_and_the_log_masks_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kustodia.email")
    async with SmtpTestServer() as server:
        server.replies["RCPT"] = f"451 4.7.1 <{TO}> greylisted, try again later"
        error = await deliver_failing(SmtpNotifier(settings(server.port)))
    assert error.transient
    assert (error.code, error.stage) == (451, "rcpt")
    assert not drops_message(error)
    assert TO not in str(error)
    assert MASKED in str(error)
    assert server.messages == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"to {MASKED} not delivered (transient, stage rcpt, code 451)" in logged
    assert TO not in logged


async def test_a_550_is_permanent_and_drops_the_message() -> None:
    async with SmtpTestServer() as server:
        server.replies["RCPT"] = f"550 5.1.1 <{TO}>: mailbox unavailable"
        error = await deliver_failing(SmtpNotifier(settings(server.port)))
    assert not error.transient
    assert error.permanent
    assert (error.code, error.stage) == (550, "rcpt")
    assert drops_message(error)
    assert TO not in str(error)
    # smtplib's own error names the recipient whole: it is not chained into the traceback.
    assert TO not in "".join(traceback.format_exception(error))


async def test_content_refused_after_the_data_is_permanent() -> None:
    async with SmtpTestServer() as server:
        server.replies["DATA"] = "554 5.6.0 message refused"
        error = await deliver_failing(SmtpNotifier(settings(server.port)))
    assert (error.transient, error.code, error.stage) == (False, 554, "data")
    assert drops_message(error)


async def test_a_sender_refused_permanently_is_a_setup_problem_that_keeps_the_message() -> None:
    async with SmtpTestServer() as server:
        server.replies["MAIL"] = "553 5.7.1 sender not allowed"
        error = await deliver_failing(SmtpNotifier(settings(server.port)))
    assert (error.transient, error.code, error.stage) == (False, 553, "mail")
    assert not drops_message(error)


async def test_a_421_greeting_is_transient() -> None:
    async with SmtpTestServer() as server:
        server.replies["GREETING"] = "421 4.3.2 too busy, come back later"
        error = await deliver_failing(SmtpNotifier(settings(server.port)))
    assert (error.transient, error.code, error.stage) == (True, 421, "connect")


async def test_wrong_credentials_are_permanent_but_keep_the_message() -> None:
    async with SmtpTestServer(credentials=("kustodia", "right")) as server:
        notifier = SmtpNotifier(settings(server.port, username="kustodia", password="wrong"))  # noqa: S106
        error = await deliver_failing(notifier)
    assert (error.transient, error.code, error.stage) == (False, 535, "auth")
    assert not drops_message(error)
    assert server.messages == []


async def test_a_server_without_starttls_is_a_setup_problem() -> None:
    async with SmtpTestServer() as server:
        notifier = SmtpNotifier(settings(server.port, security=SmtpSecurity.STARTTLS))
        error = await deliver_failing(notifier)
    assert (error.transient, error.stage) == (False, "tls")
    assert not drops_message(error)


async def test_an_untrusted_certificate_is_refused(certificate: SelfSignedCertificate) -> None:
    async with SmtpTestServer(implicit_tls=certificate.server_context()) as server:
        # The system's trust store does not know the test certificate.
        notifier = SmtpNotifier(
            settings(
                server.port, security=SmtpSecurity.SSL, ssl_context=ssl.create_default_context()
            )
        )
        error = await deliver_failing(notifier)
    assert (error.transient, error.stage) == (False, "tls")
    assert server.messages == []


# ---------------------------------------------------------------------- the network
async def test_a_refused_connection_is_transient() -> None:
    error = await deliver_failing(SmtpNotifier(settings(free_port())))
    assert (error.transient, error.stage, error.code) == (True, "connect", None)
    assert not drops_message(error)


async def test_a_server_that_never_answers_times_out_as_transient() -> None:
    async with SmtpTestServer(hang=True) as server:
        notifier = SmtpNotifier(settings(server.port, timeout_seconds=0.3))
        started = time.monotonic()
        error = await deliver_failing(notifier)
        elapsed = time.monotonic() - started
    assert (error.transient, error.stage) == (True, "connect")
    assert "timed out" in str(error)
    assert elapsed < 2
    assert server.connections == 1


async def test_a_header_injection_in_the_address_is_refused_before_connecting() -> None:
    async with SmtpTestServer() as server:
        notifier = SmtpNotifier(settings(server.port))
        with pytest.raises(NotificationDeliveryError) as caught:
            await notifier.deliver(FUNDED, "payer@example.mx\r\nBcc: all@example.mx")
    assert (caught.value.transient, caught.value.stage) == (False, "address")
    assert drops_message(caught.value)
    assert server.connections == 0


# ---------------------------------------------------------------------- settings
def test_settings_are_checked_and_keep_the_password_out_of_their_repr() -> None:
    good = settings(587, username="kustodia", password="s3cret")  # noqa: S106
    assert "s3cret" not in repr(good)
    with pytest.raises(ValueError, match="together"):
        settings(587, username="kustodia")
    with pytest.raises(ValueError, match="port"):
        settings(0)
    with pytest.raises(ValueError, match="from_address"):
        settings(587, from_address="kustodia")
    with pytest.raises(ValueError, match="timeout_seconds"):
        settings(587, timeout_seconds=0)
