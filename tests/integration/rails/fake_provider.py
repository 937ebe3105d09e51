"""A fake SPEI rail provider: a real HTTP server on 127.0.0.1 that speaks the provider API.

It implements the API documented in ``kustodia_adapters.rails.http_spei`` on its own (the
request signature and the webhook signature are computed here from the documented schemes, not
with the code under test), keeps executed payouts keyed by ``Idempotency-Key``, and can be
told to misbehave: answer an error before doing the work (``fail_next``), do the work and then
answer too late (``slow_next``), or answer garbage (``garble_next``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import ValidationError

SIGNATURE_TOLERANCE_SECONDS = 300
PAGE_SIZE = 2
"""Small on purpose, so that every statement test reads several pages."""


def _now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw).astimezone(UTC)


@attrs.frozen
class SeenRequest:
    """One request as the fake received it, and whether its signature verified."""

    method: str
    target: str
    idempotency_key: str | None
    body: bytes
    signature_ok: bool

    @property
    def route(self) -> str:
        return f"{self.method} {urlsplit(self.target).path}"


@attrs.frozen
class Delivery:
    """A webhook the provider would POST to the platform: raw body and headers."""

    body: bytes
    headers: dict[str, str]


@attrs.define
class StoredPayout:
    id: str
    reference: str
    amount: int
    currency: str
    destination_clabe: str
    concept: str
    status: str
    created_at: datetime
    updated_at: datetime

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "amount": self.amount,
            "currency": self.currency,
            "destination_clabe": self.destination_clabe,
            "concept": self.concept,
            "status": self.status,
            "created_at": _rfc3339(self.created_at),
            "updated_at": _rfc3339(self.updated_at),
        }


@attrs.define
class Execution:
    """What the provider stored under one idempotency key."""

    body_digest: str
    payout_id: str
    response: dict[str, Any]


@attrs.define
class FakeRailProvider:
    """The provider's state; ``url`` is set once the server runs."""

    api_key: str
    api_secret: str
    webhook_secret: str
    clock: Callable[[], datetime] = _now
    """The provider's business clock: stamps payouts and deposits. Signatures (its own and
    the ones it checks) always use the wall clock, as the platform's edge does."""
    url: str = ""
    requests: list[SeenRequest] = attrs.field(factory=list)
    clabes: dict[str, str] = attrs.field(factory=dict)
    payouts: dict[str, StoredPayout] = attrs.field(factory=dict)
    executions: dict[str, Execution] = attrs.field(factory=dict)
    """Executed payouts by idempotency key: the provider's once-per-key memory."""
    deposits: list[dict[str, Any]] = attrs.field(factory=list)
    _failures: dict[str, deque[int]] = attrs.field(factory=dict)
    _delays: dict[str, deque[float]] = attrs.field(factory=dict)
    _garbage: dict[str, int] = attrs.field(factory=dict)
    _ids: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    # ------------------------------------------------------------------ scripting
    def fail_next(self, route: str, *statuses: int) -> None:
        """Answer the next requests on ``route`` (``"POST /v1/payouts"``) with these statuses,
        without doing any work."""
        with self._lock:
            self._failures.setdefault(route, deque()).extend(statuses)

    def slow_next(self, route: str, seconds: float) -> None:
        """Do the work of the next request on ``route``, then wait ``seconds`` to answer."""
        with self._lock:
            self._delays.setdefault(route, deque()).append(seconds)

    def garble_next(self, route: str) -> None:
        """Answer the next request on ``route`` with a 200 that is not JSON."""
        with self._lock:
            self._garbage[route] = self._garbage.get(route, 0) + 1

    # ------------------------------------------------------------------ the rail's side
    def receive_deposit(
        self,
        *,
        clabe: str,
        reference: str,
        amount: int,
        tracking_key: str,
        sender_clabe: str = "012180012345678909",
        sender_name: str = "Ana Compradora",
        received_at: datetime | None = None,
    ) -> Delivery:
        """A SPEI transfer arrives; returns the signed ``deposit.received`` webhook."""
        deposit = {
            "tracking_key": tracking_key,
            "clabe": clabe,
            "reference": reference,
            "amount": amount,
            "currency": "MXN",
            "sender_clabe": sender_clabe,
            "sender_name": sender_name,
            "received_at": _rfc3339(received_at or self.clock()),
        }
        with self._lock:
            self.deposits.append(deposit)
            event_id = f"evt_{next(self._ids):06d}"
        return self.webhook({"event_id": event_id, "type": "deposit.received", **deposit})

    def settle(self, reference: str, status: str) -> Delivery:
        """The rail's later word on a payout; returns the signed webhook that tells Kustodia."""
        with self._lock:
            payout = self._find_payout(reference)
            assert payout is not None, f"no payout {reference}"
            payout.status, payout.updated_at = status, self.clock()
            event_id = f"evt_{next(self._ids):06d}"
        return self.webhook(
            {
                "event_id": event_id,
                "type": f"payout.{status}",
                "payout_id": payout.reference,
                "rail_payout_id": payout.id,
            }
        )

    def webhook(
        self, event: dict[str, Any], *, secret: str | None = None, at: datetime | None = None
    ) -> Delivery:
        """``event`` signed as the provider signs its webhooks (``"<t>.<raw body>"``)."""
        body = json.dumps(event, separators=(",", ":")).encode()
        moment = int(at.timestamp()) if at is not None else int(time.time())
        key = (secret or self.webhook_secret).encode()
        digest = hmac.new(key, f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
        return Delivery(
            body=body,
            headers={
                "Kustodia-Signature": f"t={moment},v1={digest}",
                "Content-Type": "application/json",
            },
        )

    # ------------------------------------------------------------------ what tests read
    def seen(self, route: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.route == route]

    def executed(self, idempotency_key: str) -> int:
        """How many payouts were executed under ``idempotency_key`` (0 or 1)."""
        return int(idempotency_key in self.executions)

    # ------------------------------------------------------------------ the server
    @contextmanager
    def running(self) -> Iterator[FakeRailProvider]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                provider._handle(self)

            def do_POST(self) -> None:
                provider._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def _handle(self, http: BaseHTTPRequestHandler) -> None:
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length) if length else b""
        method, target = http.command, http.path
        key = http.headers.get("Idempotency-Key")
        verdict = self._verify(http, method, target, body)
        route = f"{method} {urlsplit(target).path}"
        with self._lock:
            self.requests.append(SeenRequest(method, target, key, body, verdict is None))
            failures = self._failures.get(route)
            failure = failures.popleft() if failures else None
            delays = self._delays.get(route)
            delay = delays.popleft() if delays else 0.0
            garbage = self._garbage.get(route, 0)
            if garbage:
                self._garbage[route] = garbage - 1
        if verdict is not None:
            self._send(http, 401, {"code": verdict, "message": "the signature was refused"})
            return
        if failure is not None:
            headers = {"Retry-After": "0"} if failure == 429 else {}
            self._send(http, failure, {"code": "scripted", "message": "try again"}, headers)
            return
        status, answer = self._route(method, target, body, key)
        if delay:
            time.sleep(delay)  # the work is done; the answer comes after the client gave up
        if garbage:
            self._send_raw(http, 200, b"<html>gateway</html>")
            return
        self._send(http, status, answer)

    def _verify(
        self, http: BaseHTTPRequestHandler, method: str, target: str, body: bytes
    ) -> str | None:
        if http.headers.get("Rail-Api-Key") != self.api_key:
            return "api_key_invalid"
        header = http.headers.get("Rail-Signature", "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        stamp, given = parts.get("t", ""), parts.get("v1", "")
        if not stamp.isdigit() or not given:
            return "signature_invalid"
        message = f"{stamp}.{method}.{target}.".encode() + body
        expected = hmac.new(self.api_secret.encode(), message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, given):
            return "signature_invalid"
        if abs(time.time() - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return "signature_stale"
        return None

    def _route(
        self, method: str, target: str, body: bytes, key: str | None
    ) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        path = parts.path
        if method == "POST" and path == "/v1/clabes":
            return self._clabe(json.loads(body))
        if method == "POST" and path == "/v1/payouts":
            return self._payout(body, key)
        if method == "GET":
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            return self._get(path, query)
        return 404, {"code": "not_found", "message": f"no route {method} {path}"}

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/v1/payouts":
            changed = [p.wire() for p in self._payouts_changed(query)]
            return self._list(changed, query.get("cursor"))
        if path == "/v1/deposits":
            return self._list(self._deposits_received(query), query.get("cursor"))
        if path.startswith("/v1/payouts/"):
            with self._lock:
                payout = self._find_payout(unquote(path.removeprefix("/v1/payouts/")))
            if payout is not None:
                return 200, payout.wire()
        return 404, {"code": "not_found", "message": f"nothing at {path}"}

    def _clabe(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        owner = request["owner_ref"]
        with self._lock:
            if owner in self.clabes:
                return 200, {"clabe": self.clabes[owner], "owner_ref": owner}
            clabe = Clabe.build("646", "180", str(len(self.clabes) + 1)).value
            self.clabes[owner] = clabe
        return 201, {"clabe": clabe, "owner_ref": owner}

    def _payout(self, body: bytes, key: str | None) -> tuple[int, dict[str, Any]]:
        if not key:
            return 400, {"code": "idempotency_key_required", "message": "send Idempotency-Key"}
        digest = hashlib.sha256(body).hexdigest()
        request = json.loads(body)
        with self._lock:
            stored = self.executions.get(key)
            if stored is not None:
                if stored.body_digest != digest:
                    return 409, {"code": "idempotency_key_reused", "message": "other body"}
                return 200, stored.response
            error = self._invalid_payout(request)
            if error is not None:
                return 422, {"code": error, "message": "invalid payout"}
            now = self.clock()
            payout = StoredPayout(
                id=f"po_{next(self._ids):06d}",
                reference=request["reference"],
                amount=request["amount"],
                currency=request["currency"],
                destination_clabe=request["destination_clabe"],
                concept=request["concept"],
                status="accepted",
                created_at=now,
                updated_at=now,
            )
            self.payouts[payout.id] = payout
            self.executions[key] = Execution(digest, payout.id, payout.wire())
        return 201, payout.wire()

    def _invalid_payout(self, request: dict[str, Any]) -> str | None:
        concept = request.get("concept")
        if type(request.get("amount")) is not int or request["amount"] <= 0:
            return "invalid_amount"
        if not isinstance(concept, str) or len(concept) > 40:
            return "invalid_concept"
        if not all(c.isascii() and (c.isalnum() or c == " ") for c in concept):
            return "invalid_concept"
        try:
            Clabe(str(request.get("destination_clabe")))
        except ValidationError:
            return "invalid_clabe"
        if self._find_payout(request.get("reference", "")) is not None:
            return "duplicate_reference"
        return None

    def _find_payout(self, id_or_reference: str) -> StoredPayout | None:
        if id_or_reference in self.payouts:
            return self.payouts[id_or_reference]
        return next((p for p in self.payouts.values() if p.reference == id_or_reference), None)

    def _payouts_changed(self, query: dict[str, str]) -> list[StoredPayout]:
        since, until = _parse_time(query["since"]), _parse_time(query["until"])
        with self._lock:
            found = [p for p in self.payouts.values() if since <= p.updated_at < until]
        return sorted(found, key=lambda p: (p.updated_at, p.id))

    def _deposits_received(self, query: dict[str, str]) -> list[dict[str, Any]]:
        since, until = _parse_time(query["since"]), _parse_time(query["until"])
        with self._lock:
            found = [d for d in self.deposits if since <= _parse_time(d["received_at"]) < until]
        return sorted(found, key=lambda d: d["received_at"])

    @staticmethod
    def _list(entries: list[dict[str, Any]], cursor: str | None) -> tuple[int, dict[str, Any]]:
        start = int(cursor) if cursor else 0
        end = start + PAGE_SIZE
        next_cursor = str(end) if end < len(entries) else None
        return 200, {"data": entries[start:end], "next_cursor": next_cursor}

    @staticmethod
    def _send(
        http: BaseHTTPRequestHandler,
        status: int,
        answer: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        FakeRailProvider._send_raw(http, status, json.dumps(answer).encode(), headers)

    @staticmethod
    def _send_raw(
        http: BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            http.send_response(status)
            http.send_header("Content-Type", "application/json")
            http.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                http.send_header(name, value)
            http.end_headers()
            http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and hung up; the work stays done
