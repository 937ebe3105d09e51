"""``Idempotency-Key`` on creating and money-moving POSTs (routes marked ``idempotent``).

The first request with a key runs and its response is stored; the same key with the same
request (method, path and body) gets that response again, marked ``Idempotent-Replayed: true``,
without running anything; a different request is a 409. Keys are scoped to the caller, so two
users can never collide. Server errors, authentication or rate-limit refusals and any response
that carries ``Retry-After`` (a lost optimistic race: the same request may succeed now) are not
stored: the work did not happen, so a retry must run it. While the request runs, its claim is
the current one (``REQUEST_CLAIM``): its units of work commit only while the claim is still
theirs, and mark it committed, so a request whose unit of work committed is never run twice
(stores outside the unit of work are not fenced; see ``kustodia_domain.ports.idempotency``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, cast

from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.types import ASGIApp, HTTPScope, Message, Receive, ReceiveMessage, Scope, Send

from kustodia_domain.ports.idempotency import REQUEST_CLAIM, Claim, StoredResponse
from kustodia_domain.services.idempotency import MAX_KEY, IdempotentRequests
from kustodia_entrypoints.http.bodies import read_body, replaying
from kustodia_entrypoints.http.tokens import AccessTokens

OPT = "idempotent"
"""Route option that opts a handler in: ``@post(..., opt={OPT: True})``."""
_NOT_STORED = frozenset({401, 429})


def _header(scope: Scope, name: bytes) -> str:
    return dict(scope.get("headers", [])).get(name, b"").decode("latin-1").strip()


def _principal(scope: Scope, tokens: AccessTokens) -> str:
    scheme, _, token = _header(scope, b"authorization").partition(" ")
    claims = tokens.read(token.strip()) if scheme.lower() == "bearer" else None
    return "anonymous" if claims is None else claims.subject


def idempotency(requests: IdempotentRequests, tokens: AccessTokens) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware applying the semantics above to routes whose ``opt`` has ``idempotent``."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            handler: Any = scope.get("route_handler")
            key = _header(scope, b"idempotency-key") if scope["type"] == ScopeType.HTTP else ""
            if not key or not getattr(handler, "opt", {}).get(OPT):
                await app(scope, receive, send)
                return
            http = cast("HTTPScope", scope)
            if len(key) > MAX_KEY:
                raise ClientException(f"Idempotency-Key is longer than {MAX_KEY} characters")
            body, messages = await read_body(receive)
            fingerprint = hashlib.sha256(
                b"\n".join([http["method"].encode(), http["path"].encode(), body])
            ).hexdigest()
            scoped = f"{_principal(scope, tokens)}:{key}"
            claimed = await requests.begin(scoped, fingerprint)
            if isinstance(claimed, StoredResponse):
                await _replay(claimed, send)
                return
            await _run_and_store(app, scope, messages, send, requests=requests, claim=claimed)

        return middleware

    return wrap


async def _replay(stored: StoredResponse, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": stored.status,
            "headers": [
                (b"content-type", stored.media_type.encode()),
                (b"content-length", str(len(stored.body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _run_and_store(
    app: ASGIApp,
    scope: Scope,
    messages: list[ReceiveMessage],
    send: Send,
    *,
    requests: IdempotentRequests,
    claim: Claim,
) -> None:
    status, media_type, retryable, chunks = 500, "application/json", False, []

    async def capture(message: Message) -> None:
        nonlocal status, media_type, retryable
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = {name.lower(): value for name, value in message.get("headers", [])}
            media_type = headers.get(b"content-type", b"").decode()
            retryable = b"retry-after" in headers
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    # The request's units of work fence their commits with the claim (ports.idempotency).
    running = REQUEST_CLAIM.set(claim)
    try:
        await app(scope, replaying(messages), capture)
    except BaseException:
        await requests.abandon(claim)
        raise
    finally:
        REQUEST_CLAIM.reset(running)
    # A server error, a refusal before the work (401, 429), a race lost: retry it for real.
    if status >= 500 or status in _NOT_STORED or retryable:  # noqa: PLR2004
        await requests.abandon(claim)
        return
    await requests.finish(
        claim, StoredResponse(status=status, body=b"".join(chunks), media_type=media_type)
    )
