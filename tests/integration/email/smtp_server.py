"""A tiny SMTP server (RFC 5321) on asyncio streams, for testing the SMTP notifier for real.

It speaks EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT, records every
command line and every accepted message, and can be told to answer a verb with a given reply
(``451`` at ``RCPT``, ``550`` at ``RCPT``, ``554`` after ``DATA``, ``421`` as the greeting) or to
greet nobody at all (a server that hangs). It also makes a throwaway self-signed certificate
for the TLS tests, with the ``openssl`` command.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import shutil
import socket
import ssl
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Self

import attrs
import pytest

HOST = "127.0.0.1"


@attrs.define
class Received:
    """One message the server accepted, with its envelope."""

    mail_from: str
    rcpt_to: list[str]
    data: bytes
    user: str | None
    over_tls: bool

    def message(self) -> EmailMessage:
        """The message parsed as a mailbox would store it (with local line endings)."""
        stored = self.data.replace(b"\r\n", b"\n")
        return message_from_bytes(stored, policy=policy.default)


@attrs.define
class _Session:
    tls: bool = False
    user: str | None = None
    mail_from: str | None = None
    rcpt_to: list[str] = attrs.field(factory=list)

    def reset(self) -> None:
        self.mail_from = None
        self.rcpt_to = []


def _angle(argument: str) -> str:
    """``FROM:<a@b.mx> SIZE=1`` -> ``a@b.mx``."""
    start, end = argument.find("<"), argument.find(">")
    return argument[start + 1 : end]


class SmtpTestServer:
    """``async with SmtpTestServer() as server:`` listens on ``server.port`` until the block ends.

    ``replies`` maps a verb (``GREETING``, ``EHLO``, ``MAIL``, ``RCPT``, ``AUTH``, and ``DATA``
    for the reply after the final dot) to the reply it gets instead of the normal one. ``hang``
    makes the server accept connections and say nothing. ``starttls`` offers STARTTLS with that
    context; ``implicit_tls`` wraps every connection in TLS from the first byte; ``credentials``
    turns AUTH PLAIN on.
    """

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        hang: bool = False,
    ) -> None:
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.credentials = credentials
        self.hang = hang
        self.replies: dict[str, str] = {}
        self.messages: list[Received] = []
        self.commands: list[str] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, HOST, 0, ssl=self.implicit_tls)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    # ------------------------------------------------------------ one connection
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            if self.hang:
                await asyncio.sleep(3600)
            await self._converse(reader, writer, _Session(tls=self.implicit_tls is not None))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: _Session
    ) -> None:
        async def say(reply: str) -> None:
            writer.write(reply.encode() + b"\r\n")
            await writer.drain()

        greeting = self.replies.get("GREETING", "220 test.local ESMTP ready")
        await say(greeting)
        if not greeting.startswith("220"):
            return
        while line := await reader.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = text.partition(" ")
            verb = verb.upper()
            # Verbs are case-insensitive (smtplib writes them in lower case): kept upper-cased.
            self.commands.append("AUTH ***" if verb == "AUTH" else f"{verb} {argument}".strip())
            if verb == "QUIT":
                await say("221 bye")
                return
            if verb == "STARTTLS" and self.starttls is not None and not session.tls:
                await say("220 go ahead")
                await writer.start_tls(self.starttls)
                session.tls = True
                session.reset()
                continue
            if verb == "DATA" and session.rcpt_to:
                await say("354 end with <CRLF>.<CRLF>")
                await say(await self._data(reader, session))
                continue
            await say(self._answer(verb, argument, session))

    def _answer(self, verb: str, argument: str, session: _Session) -> str:
        forced = self.replies.get(verb)
        if forced is not None:
            return forced
        handlers = {
            "EHLO": self._ehlo,
            "HELO": self._reset,
            "NOOP": self._reset,
            "RSET": self._reset,
            "AUTH": self._auth,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
        }
        handle = handlers.get(verb)
        if handle is None:
            return "503 5.5.1 RCPT first" if verb == "DATA" else "502 5.5.2 not implemented"
        return handle(argument, session)

    def _ehlo(self, argument: str, session: _Session) -> str:
        extensions = ["8BITMIME"]
        if self.starttls is not None and not session.tls:
            extensions.append("STARTTLS")
        if self.credentials is not None:
            extensions.append("AUTH PLAIN")
        lines = ["test.local greets you", *extensions]
        return "\r\n".join(f"250-{x}" for x in lines[:-1]) + f"\r\n250 {lines[-1]}"

    @staticmethod
    def _reset(argument: str, session: _Session) -> str:
        session.reset()
        return "250 ok"

    @staticmethod
    def _mail(argument: str, session: _Session) -> str:
        session.mail_from = _angle(argument)
        return "250 2.1.0 sender ok"

    @staticmethod
    def _rcpt(argument: str, session: _Session) -> str:
        if session.mail_from is None:
            return "503 5.5.1 MAIL first"
        session.rcpt_to.append(_angle(argument))
        return "250 2.1.5 recipient ok"

    def _auth(self, argument: str, session: _Session) -> str:
        mechanism, _, initial = argument.partition(" ")
        if self.credentials is None or mechanism.upper() != "PLAIN":
            return "504 5.5.4 mechanism not supported"
        _, user, password = base64.b64decode(initial).decode().split("\0")
        if (user, password) != self.credentials:
            return "535 5.7.8 authentication credentials invalid"
        session.user = user
        return "235 2.7.0 authenticated"

    async def _data(self, reader: asyncio.StreamReader, session: _Session) -> str:
        """Read the data up to the final dot; keep the message unless told to refuse it."""
        lines: list[bytes] = []
        while (line := await reader.readline()) not in {b".\r\n", b""}:
            lines.append(line[1:] if line.startswith(b"..") else line)
        assert session.mail_from is not None
        refusal = self.replies.get("DATA")
        if refusal is None:
            self.messages.append(
                Received(
                    mail_from=session.mail_from,
                    rcpt_to=list(session.rcpt_to),
                    data=b"".join(lines),
                    user=session.user,
                    over_tls=session.tls,
                )
            )
        session.reset()
        return refusal or "250 2.0.0 queued"


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@attrs.frozen
class SelfSignedCertificate:
    """A certificate for 127.0.0.1 and localhost, and the contexts of both sides."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(directory: Path) -> SelfSignedCertificate:
    """A one-day self-signed certificate made by ``openssl`` (the test is skipped without it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - a fixed command line, no shell
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return SelfSignedCertificate(cert=cert, key=key)
