"""Request context (request id, structured access log, latency metric) and security headers."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from kustodia_entrypoints.http.metrics import Metrics

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive docs load their script and styles from a CDN; nothing else may.
_CDN = "https://cdn.jsdelivr.net https://unpkg.com"
_DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {_CDN}; "
    f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net; "
    "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'"
)

log = structlog.get_logger("kustodia.http")


def request_id_of(scope: Scope) -> str:
    """The request's id: the caller's ``X-Request-ID`` if it is sane, else a new one."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        sent = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        state["request_id"] = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
    return str(state["request_id"])


def request_context(metrics: Metrics) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware: binds the request id to every log line, logs the request, times it."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            method = scope["method"]
            started = time.perf_counter()
            status = [500]

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = message["status"]
                await send(message)

            route = scope.get("path_template", "unmatched")
            with structlog.contextvars.bound_contextvars(request_id=request_id_of(scope)):
                try:
                    await app(scope, receive, capture)
                finally:
                    elapsed = time.perf_counter() - started
                    metrics.observe(method, route, status[0], elapsed)
                    log.info(
                        "request",
                        method=method,
                        route=route,
                        status=status[0],
                        duration_ms=round(elapsed * 1000, 1),
                        user_id=scope.get("state", {}).get("user_id"),
                    )

        return middleware

    return wrap


def security_headers(*, hsts: bool) -> Callable[[Message, Scope], None]:
    """A ``before_send`` hook that adds the security headers to every response (404s too)."""

    def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        docs = str(scope.get("path", "")).startswith("/schema")
        headers["X-Request-ID"] = request_id_of(scope)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        headers["Content-Security-Policy"] = _DOCS_CSP if docs else _API_CSP
        if not docs:
            headers["Cache-Control"] = "no-store"
        if hsts:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"

    return before_send
