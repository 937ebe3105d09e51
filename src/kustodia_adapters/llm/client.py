"""A small OpenAI-compatible chat-completions client on httpx.

One call is ``POST {base_url}/chat/completions`` with a JSON body; hosted providers and local
servers (Ollama, vLLM, llama.cpp) all speak it. The client retries what is worth retrying and
turns every failure into a :class:`ChatCompletionError`, so its caller can fall back.

Rules:
    * Each attempt has its own timeouts (connect, read, write, pool) and the whole call has a
      deadline; a timeout is never waited out twice by the caller.
    * Retried, at most ``max_retries`` times, with exponential backoff
      (``backoff_seconds * 2**n``, capped at ``max_backoff_seconds``): timeouts, connection
      failures, ``429`` and ``5xx``. A ``429`` or ``503`` that carries ``retry-after-ms`` or
      ``Retry-After`` (seconds or an HTTP date) waits that long instead, capped at
      ``max_retry_after_seconds``.
    * Not retried: any other status (``400``, ``401``, ``404`` ...), and a ``2xx`` whose body is
      not a chat completion; a body larger than ``max_response_bytes`` is refused.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import ssl
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import orjson

Sleep = Callable[[float], Awaitable[None]]

HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVICE_UNAVAILABLE = 503
_MAX_MODEL_NAME = 200


class ChatCompletionError(Exception):
    """The call produced no usable completion; ``reason`` is a short code for logs and metrics."""

    reason = "error"


class ChatTimeoutError(ChatCompletionError):
    """Every attempt timed out, or the call's deadline passed."""

    reason = "timeout"


class ChatTransportError(ChatCompletionError):
    """The server could not be reached or broke the connection, on every attempt."""

    reason = "transport"


class ChatStatusError(ChatCompletionError):
    """The server answered with an error status (after the retries, when it was retryable)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"chat completion failed with HTTP {status}")
        self.status = status
        self.reason = f"status_{status}"


class ChatProtocolError(ChatCompletionError):
    """A successful status whose body is not a chat completion (or is too large)."""

    reason = "protocol"


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be a finite number > 0, got {value!r}")


def _count(instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{attribute.name} must be a whole number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class ClientOptions:
    """Timeouts, retries and limits of :class:`ChatCompletionsClient` (seconds, bytes)."""

    timeout_seconds: float = attrs.field(default=60.0, validator=_positive)
    """Per attempt: the longest wait for the server to send (read) or accept (write) data."""
    connect_timeout_seconds: float = attrs.field(default=5.0, validator=_positive)
    deadline_seconds: float = attrs.field(default=180.0, validator=_positive)
    """The whole call, retries and waits included."""
    max_retries: int = attrs.field(default=2, validator=_count)
    backoff_seconds: float = attrs.field(default=0.5, validator=_non_negative)
    max_backoff_seconds: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after_seconds: float = attrs.field(default=30.0, validator=_non_negative)
    max_response_bytes: int = attrs.field(default=1_000_000, validator=[_count, _positive])
    trust_env: bool = True
    """Honour ``HTTPS_PROXY``/``NO_PROXY`` and the system's CA settings, as httpx does."""

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0-based) when the server names none."""
        return min(math.ldexp(self.backoff_seconds, min(retry, 30)), self.max_backoff_seconds)


@attrs.frozen(kw_only=True)
class ChatCompletion:
    """The parts of a chat completion's first choice that an assessor reads."""

    model: str | None
    """The ``model`` the server reports, e.g. ``gpt-4o-mini-2024-07-18`` or ``llama3.1:8b``."""
    content: str | None
    refusal: str | None
    finish_reason: str | None


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """The wait a response asks for, from ``retry-after-ms`` or ``Retry-After``; None if absent.

    ``Retry-After`` is either whole seconds or an HTTP date (compared with ``now``); an
    unreadable value counts as absent. Never negative.
    """
    millis = headers.get("retry-after-ms", "").strip()
    try:
        value = float(millis)
    except ValueError:
        pass
    else:
        if math.isfinite(value):
            return max(value / 1000, 0.0)
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return max(value, 0.0) if math.isfinite(value) else None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_completion(body: bytes) -> ChatCompletion:
    """Read the first choice of a chat-completions response body.

    Raises:
        ChatProtocolError: the body is not JSON, or has no ``choices[0].message`` object.
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ChatProtocolError("the response body is not JSON") from None
    choices = document.get("choices") if isinstance(document, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    if not isinstance(first, dict) or not isinstance(message, dict):
        raise ChatProtocolError("the response has no choices[0].message")
    model = _text(document.get("model"))
    if model is not None and not (0 < len(model.strip()) <= _MAX_MODEL_NAME):
        model = None
    return ChatCompletion(
        model=model.strip() if model else None,
        content=_text(message.get("content")),
        refusal=_text(message.get("refusal")),
        finish_reason=_text(first.get("finish_reason")),
    )


class ChatCompletionsClient:
    """Posts chat-completions requests to one OpenAI-compatible server.

    A connection pool lives only for the duration of one call (an assessment is rare and may run
    in any event loop), while the TLS context is built once and reused; pass ``transport`` to
    reuse a pool or to route calls elsewhere.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        options: ClientOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        """Talk to ``base_url`` (e.g. ``https://api.openai.com/v1``, ``http://localhost:11434/v1``).

        Raises:
            ValueError: ``base_url`` is not an absolute ``http``/``https`` URL.
        """
        problem = f"the LLM base URL must be http(s)://host[/path], got {base_url!r}"
        try:
            url = httpx.URL(base_url.strip().rstrip("/") + "/chat/completions")
        except httpx.InvalidURL:
            raise ValueError(problem) from None
        if url.scheme not in {"http", "https"} or not url.host:
            raise ValueError(problem)
        self.url = url
        self._api_key = api_key or None
        self._options = options or ClientOptions()
        self._transport = transport
        self._sleep = sleep or asyncio.sleep
        self._tls: ssl.SSLContext | None = None  # built once, on first use: it costs ~50 ms

    @property
    def options(self) -> ClientOptions:
        return self._options

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    async def create(self, body: Mapping[str, object]) -> ChatCompletion:
        """Send ``body`` and return the completion, retrying as the module describes.

        Raises:
            ChatCompletionError: no usable completion (timeout, transport, status, protocol).
        """
        options = self._options
        timeout = httpx.Timeout(options.timeout_seconds, connect=options.connect_timeout_seconds)
        content = orjson.dumps(body)
        try:
            if self._tls is None:
                self._tls = httpx.create_ssl_context(trust_env=options.trust_env)
        except OSError as error:  # SSL_CERT_FILE/SSL_CERT_DIR unreadable, a broken CA bundle
            raise ChatTransportError(f"no TLS context: {type(error).__name__}") from None
        try:
            async with (
                asyncio.timeout(options.deadline_seconds),
                httpx.AsyncClient(
                    timeout=timeout,
                    transport=self._transport,
                    verify=self._tls,
                    trust_env=options.trust_env,
                    follow_redirects=False,
                ) as http,
            ):
                return await self._with_retries(http, content)
        except TimeoutError:
            raise ChatTimeoutError("the chat completion exceeded its deadline") from None

    async def _with_retries(self, http: httpx.AsyncClient, content: bytes) -> ChatCompletion:
        retry = 0
        while True:
            outcome, wait = await self._attempt(http, content, retry)
            if isinstance(outcome, ChatCompletion):
                return outcome
            if wait is None or retry >= self._options.max_retries:
                raise outcome
            await self._sleep(wait)
            retry += 1

    async def _attempt(
        self, http: httpx.AsyncClient, content: bytes, retry: int
    ) -> tuple[ChatCompletion | ChatCompletionError, float | None]:
        """One request: the completion, or the failure and how long to wait before a retry."""
        backoff = self._options.backoff(retry)
        try:
            async with http.stream("POST", self.url, content=content, headers=self._headers()) as r:
                if r.is_success:
                    return parse_completion(await self._read(r)), None
                return ChatStatusError(r.status_code), self._status_wait(r, backoff)
        except ChatProtocolError as error:
            return error, None
        except httpx.TimeoutException:
            return ChatTimeoutError("the chat completion timed out"), backoff
        except httpx.HTTPError as error:
            failure = ChatTransportError(f"the chat completion failed: {type(error).__name__}")
            return failure, backoff

    def _status_wait(self, response: httpx.Response, backoff: float) -> float | None:
        """How long to wait before retrying an error status; None: do not retry it."""
        status = response.status_code
        if status != HTTP_TOO_MANY_REQUESTS and status < httpx.codes.INTERNAL_SERVER_ERROR:
            return None
        if status in {HTTP_TOO_MANY_REQUESTS, HTTP_SERVICE_UNAVAILABLE}:
            asked = retry_after_seconds(response.headers, datetime.now(UTC))
            if asked is not None:
                return min(asked, self._options.max_retry_after_seconds)
        return backoff

    async def _read(self, response: httpx.Response) -> bytes:
        limit = self._options.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise ChatProtocolError(f"the response body exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
