"""The transport to the rail provider: signed JSON requests with timeouts and bounded retries.

Every attempt is signed afresh (a new timestamp) over the *same* body and carries the *same*
``Idempotency-Key``, so a retry can only ever get the first execution's answer back. Timeouts,
network errors, 5xx and 429 are retried with exponential backoff and jitter (``Retry-After``
is honoured up to ``backoff_max``) at most ``max_attempts`` times in all; then
``RailUnavailableError``. A 409 is ``IdempotencyConflictError``; any other 4xx is
``RailRejectedError`` at once (retrying it unchanged cannot succeed); a 404 may be asked for
as "absent" instead.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import attrs
import httpx
import orjson

from kustodia_adapters.rails.errors import (
    RailProtocolError,
    RailRejectedError,
    RailUnavailableError,
)
from kustodia_adapters.rails.signing import (
    API_KEY_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from kustodia_domain.shared.errors import IdempotencyConflictError

logger = logging.getLogger(__name__)

HTTP_NOT_FOUND = 404
HTTP_CONFLICT = 409
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR = 500

Json = dict[str, Any]


@attrs.frozen(kw_only=True)
class RailApiConfig:
    """Where the provider is, the credentials, and how patient to be with it.

    ``timeout`` bounds each attempt (connect, write, and each read); ``max_attempts`` counts the
    first one, so a call takes at most about ``max_attempts * timeout`` plus the backoffs.
    """

    base_url: str
    api_key: str
    api_secret: str = attrs.field(repr=False)
    timeout: float = attrs.field(default=10.0, validator=attrs.validators.gt(0))
    max_attempts: int = attrs.field(default=4, validator=attrs.validators.gt(0))
    backoff_base: float = attrs.field(default=0.5, validator=attrs.validators.gt(0))
    backoff_max: float = attrs.field(default=8.0, validator=attrs.validators.gt(0))
    jitter: bool = True
    """Spread retries over ``[delay / 2, delay]`` so that many workers do not retry in step."""
    trust_env: bool = True
    """Whether httpx reads proxy and certificate settings from the environment."""


class RailApiClient:
    """One provider account over one httpx connection pool; close it with ``aclose``.

    ``transport`` replaces httpx's network transport (tests may mount one), ``sleep`` and
    ``wall_clock`` (Unix seconds, for the signature's timestamp) are injectable for the same
    reason.
    """

    def __init__(
        self,
        config: RailApiConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._random = secrets.SystemRandom()
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(config.timeout),
            transport=transport,
            trust_env=config.trust_env,
            follow_redirects=False,
            headers={"Accept": "application/json", API_KEY_HEADER: config.api_key},
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        absent_ok: bool = False,
    ) -> Json | None:
        """The provider's JSON object answer; ``None`` for a 404 when ``absent_ok``.

        Raises:
            RailUnavailableError: no usable answer within ``max_attempts``.
            RailProtocolError: a 2xx answer that is not a JSON object.
            RailRejectedError: a 4xx other than 409 and 429 (and 404 with ``absent_ok``).
            IdempotencyConflictError: 409, the key was used before with another request.
        """
        operation = f"{method} {path}"
        raw = b"" if body is None else orjson.dumps(body)
        reason = "no attempt made"
        for attempt in range(1, self.config.max_attempts + 1):
            request = self._request(method, path, raw, params, idempotency_key)
            try:
                response = await self._http.send(request)
            except httpx.TimeoutException as error:
                reason = f"{type(error).__name__} (no answer within {self.config.timeout:g}s)"
                retry_after = None
            except httpx.TransportError as error:
                reason = type(error).__name__
                retry_after = None
            else:
                status = response.status_code
                if status != HTTP_TOO_MANY_REQUESTS and status < HTTP_SERVER_ERROR:
                    return _answer(operation, response, idempotency_key, absent_ok=absent_ok)
                reason = f"HTTP {status}"
                retry_after = response.headers.get("Retry-After")
            if attempt < self.config.max_attempts:
                delay = self._backoff(attempt, retry_after)
                logger.warning(
                    "rail call %s failed (%s), attempt %d of %d; retrying in %.2fs",
                    operation,
                    reason,
                    attempt,
                    self.config.max_attempts,
                    delay,
                )
                await self._sleep(delay)
        raise RailUnavailableError(operation, attempts=self.config.max_attempts, reason=reason)

    def _request(
        self,
        method: str,
        path: str,
        raw: bytes,
        params: Mapping[str, str] | None,
        idempotency_key: str | None,
    ) -> httpx.Request:
        headers = {"Content-Type": "application/json"} if raw else {}
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        request = self._http.build_request(
            method, path, params=params, content=raw or None, headers=headers
        )
        # Signed over the target exactly as it goes on the wire, after httpx encoded it.
        target = request.url.raw_path.decode("ascii")
        timestamp = int(self._wall_clock())
        request.headers[SIGNATURE_HEADER] = signature_header(
            self.config.api_secret, timestamp, method, target, raw
        )
        return request

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        delay = min(self.config.backoff_max, self.config.backoff_base * 2.0 ** (attempt - 1))
        if self.config.jitter:
            delay *= 0.5 + self._random.random() / 2
        if retry_after is not None and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), self.config.backoff_max))
        return delay


def _answer(
    operation: str,
    response: httpx.Response,
    idempotency_key: str | None,
    *,
    absent_ok: bool,
) -> Json | None:
    status = response.status_code
    if status == HTTP_NOT_FOUND and absent_ok:
        return None
    if status == HTTP_CONFLICT and idempotency_key is not None:
        raise IdempotencyConflictError(
            f"{operation}: the rail already executed idempotency key {idempotency_key!r} "
            "with a different request"
        )
    if 400 <= status < HTTP_SERVER_ERROR:  # noqa: PLR2004 - the 4xx family
        raise RailRejectedError(operation, status=status, provider_code=_error_code(response))
    if not 200 <= status < 300:  # noqa: PLR2004 - the 2xx family
        raise RailProtocolError(operation, f"unexpected HTTP {status}")
    try:
        decoded = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise RailProtocolError(operation, "the answer is not JSON") from None
    if not isinstance(decoded, dict):
        raise RailProtocolError(operation, "the answer is not a JSON object")
    return decoded


def _error_code(response: httpx.Response) -> str | None:
    try:
        decoded = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    code = decoded.get("code") if isinstance(decoded, dict) else None
    return code if isinstance(code, str) else None
