"""A real local HTTP server that speaks the chat-completions protocol, scripted by each test.

It runs the standard library's ``ThreadingHTTPServer`` on 127.0.0.1 with a random port in a
background thread, records every request it receives (headers and raw body), and answers with
the replies a test queued: a sequence whose last reply repeats, or a function of the request.
Slow replies wait on an event that teardown sets, so a test never waits for them to finish.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import orjson

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"


@attrs.frozen
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.json()["messages"]
        return messages


@attrs.frozen(kw_only=True)
class Reply:
    """What the server answers: a status, headers, a raw body, after ``delay`` seconds."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def completion(
    content: str | None,
    *,
    model: str | None = DEFAULT_MODEL,
    refusal: str | None = None,
    finish_reason: str = "stop",
    delay: float = 0.0,
) -> Reply:
    """A 200 chat completion whose first choice says ``content``."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    document: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020},
    }
    if model is not None:
        document["model"] = model
    return Reply(body=orjson.dumps(document), delay=delay)


def answer(document: object, **kwargs: Any) -> Reply:
    """A completion whose content is ``document`` as JSON."""
    return completion(orjson.dumps(document).decode(), **kwargs)


def error(status: int, *, retry_after: str | None = None, message: str = "error") -> Reply:
    """An error status with an OpenAI-style error body."""
    headers = () if retry_after is None else (("Retry-After", retry_after),)
    body = orjson.dumps({"error": {"message": message, "type": "server_error"}})
    return Reply(status=status, body=body, headers=headers)


Responder = Callable[[Received], Reply]


class ChatServer:
    """The scripted server; use :func:`running_chat_server` to start and stop it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._script: list[Reply] = [completion("{}")]
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def reply(self, *replies: Reply) -> None:
        """Answer with ``replies`` in order, then repeat the last one forever."""
        with self._lock:
            self._script = list(replies)
            self._responder = None

    def respond_with(self, responder: Responder) -> None:
        """Answer every request with ``responder(request)``."""
        with self._lock:
            self._responder = responder

    def next_reply(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            if self._responder is not None:
                return self._responder(request)
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received = Received(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length),
            )
            reply = server.next_reply(received)
            if reply.delay and server.stopping.wait(reply.delay):
                return
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def handle(self) -> None:
            try:
                super().handle()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, limit)
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Keep test output quiet."""

    return Handler


@contextmanager
def running_chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
