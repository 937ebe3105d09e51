"""The real app over in-memory adapters, and a small client that speaks the contract."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
import orjson
import pytest
from httpx import Response
from litestar.testing import TestClient

from kustodia_adapters.in_memory.audit import InMemoryAuditTrail
from kustodia_adapters.in_memory.clock import FixedClock
from kustodia_adapters.in_memory.payment_rail import InMemoryPaymentRail
from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_adapters.in_memory.store import InMemoryStore
from kustodia_domain.escrow.terms import FeeSchedule
from kustodia_domain.identity.model import Role
from kustodia_domain.ports.risk import RiskScreen
from kustodia_domain.services.auth import SignUp
from kustodia_domain.services.config import PlatformPolicy
from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.bootstrap.in_memory import in_memory_ports
from kustodia_entrypoints.bootstrap.readiness import AlwaysReady
from kustodia_entrypoints.bootstrap.sandbox import SimulatedRailControls
from kustodia_entrypoints.http.app import build_app
from kustodia_entrypoints.http.config import HttpConfig, Mode
from kustodia_entrypoints.http.services import HttpServices, ReadinessProbe
from kustodia_entrypoints.http.signatures import sign

JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789"  # noqa: S105 - test-only
WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef01234"  # noqa: S105 - test-only
PASSWORD = "correct horse battery"  # noqa: S105 - test-only
BUYER_BANK = "012180012345678909"
OTHER_BANK = "014180060000000011"
SELLER_BANK = "002115016003269411"
T = TypeVar("T")

ScreenFactory = Callable[[], RiskScreen]
allow_all = pytest.mark.parametrize("screen", [AllowAllRiskScreen], ids=["allow-all"])
"""For a test about something other than fraud whose fresh accounts the default ruleset would
legitimately hold or block (a payout CLABE set minutes before a release, an unverified N1 payer
moving more than its cap): it replaces the ``screen`` fixture, so ``world`` allows everything."""


@attrs.frozen
class Person:
    id: str
    email: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@attrs.define
class World:
    """The app under test and what sits behind it."""

    client: TestClient[Any]
    use_cases: UseCases
    store: InMemoryStore
    clock: FixedClock
    rail: InMemoryPaymentRail
    audit: InMemoryAuditTrail
    wall: list[datetime]
    names: Iterator[int] = attrs.field(factory=itertools.count)

    # ------------------------------------------------------------ plumbing
    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine on the app's own event loop."""
        return self.client.blocking_portal.call(work)

    def call(
        self, method: str, path: str, who: Person | None = None, body: Any = None, **kw: Any
    ) -> Response:
        headers = dict(kw.pop("headers", {}))
        if who is not None:
            headers.update(who.auth)
        if body is not None:
            kw["content"] = orjson.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        return self.client.request(method, path, headers=headers, **kw)

    def ok(
        self,
        method: str,
        path: str,
        who: Person | None = None,
        body: Any = None,
        status: int = 200,
        **kw: Any,
    ) -> Any:
        reply = self.call(method, path, who, body, **kw)
        assert reply.status_code == status, reply.text
        return reply.json()

    # ------------------------------------------------------------ people
    def person(self, name: str = "user", *, payout: bool = True, role: Role = Role.USER) -> Person:
        email = f"{name}{next(self.names)}@example.mx"
        if role is Role.USER:
            self.ok(
                "POST",
                "/v1/auth/register",
                body={"email": email, "password": PASSWORD, "full_name": name.title()},
                status=201,
            )
        else:
            self.run(
                lambda: self.use_cases.platform.party.sign_up.execute(
                    SignUp(email=email, password=PASSWORD, full_name=name.title(), role=role)
                )
            )
        tokens = self.ok("POST", "/v1/auth/login", body={"email": email, "password": PASSWORD})
        me = self.ok("GET", "/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        person = Person(id=me["id"], email=email, token=tokens["access_token"])
        if payout:
            self.ok(
                "PUT",
                "/v1/me/payout-account",
                person,
                {"clabe": SELLER_BANK, "holder_name": name.title()},
            )
        return person

    # ------------------------------------------------------------ escrows
    def escrow(self, payer: Person, payee: Person, **terms: Any) -> dict[str, Any]:
        """A payment opened by ``payer`` (awaiting funds) unless ``terms`` say otherwise."""
        body = payment_terms(payee) | terms
        creator = payer if body["creator_role"] == "payer" else payee
        if creator is payee:
            body["counterparty_email"] = payer.email
        return dict(self.ok("POST", "/v1/escrows", creator, body, status=201))

    def deposit(
        self, who: Person, escrow_id: str, amount: int, source: str = BUYER_BANK
    ) -> dict[str, Any]:
        body = {"escrow_id": escrow_id, "amount": amount, "sender_clabe": source}
        return dict(self.ok("POST", "/v1/sandbox/deposits", who, body, status=201)["escrow"])

    def funded(self, payer: Person, payee: Person, **terms: Any) -> dict[str, Any]:
        escrow = self.escrow(payer, payee, **terms)
        return self.deposit(payer, escrow["id"], escrow["amount_due"])

    def get(self, who: Person, escrow_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/v1/escrows/{escrow_id}", who))

    def advance(self, who: Person, seconds: int) -> dict[str, Any]:
        return dict(self.ok("POST", "/v1/sandbox/clock/advance", who, {"seconds": seconds}))

    # ------------------------------------------------------------ webhooks
    def webhook(
        self,
        body: dict[str, Any],
        *,
        at: datetime | None = None,
        secret: str = WEBHOOK_SECRET,
        signature: str | None = None,
    ) -> Response:
        raw = orjson.dumps(body)
        moment = int((at or self.wall[0]).timestamp())
        header = signature or f"t={moment},v1={sign(secret, moment, raw)}"
        return self.client.post(
            "/v1/webhooks/spei",
            content=raw,
            headers={"Kustodia-Signature": header, "Content-Type": "application/json"},
        )


def payment_terms(payee: Person) -> dict[str, Any]:
    """The body of a payment to ``payee`` that ``World.escrow`` opens unless told otherwise."""
    return {
        "kind": "standard", "creator_role": "payer", "counterparty_email": payee.email,
        "amount": 100_000, "currency": "MXN", "custody_percent": 100, "custody_days": 5,
        "description": "A used bicycle",
    }  # fmt: skip


def http_config(mode: Mode = Mode.SANDBOX, **overrides: Any) -> HttpConfig:
    settings = {"login_attempts_per_minute": 10_000} | overrides
    return HttpConfig(mode=mode, jwt_secret=JWT_SECRET, webhook_secret=WEBHOOK_SECRET, **settings)


@contextmanager
def running_world(
    *,
    fee_bps: int = 0,
    mode: Mode = Mode.SANDBOX,
    readiness: ReadinessProbe | None = None,
    risk: RiskScreen | None = None,
    **config: Any,
) -> Iterator[World]:
    """A fresh app on fresh in-memory adapters with a hand-moved business clock.

    Operations are screened by the fraud rule engine unless ``risk`` replaces it.
    """
    store, clock, rail = InMemoryStore(), FixedClock(), InMemoryPaymentRail()
    audit = InMemoryAuditTrail(store)
    policy = PlatformPolicy(fees=FeeSchedule(standard_bps=fee_bps, dual_approval_bps=fee_bps))
    use_cases = UseCases.build(
        in_memory_ports(store, clock=clock, rail=rail, audit=audit, policy=policy, risk=risk)
    )
    wall = [datetime.now(UTC)]
    services = HttpServices(
        use_cases=use_cases,
        readiness=readiness or AlwaysReady(),
        wall_clock=lambda: wall[0],
        sandbox=SimulatedRailControls(clock, rail),
    )
    app = build_app(services, http_config(mode, **config))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(
            client=client,
            use_cases=use_cases,
            store=store,
            clock=clock,
            rail=rail,
            audit=audit,
            wall=wall,
        )


def hours(n: int) -> int:
    return int(timedelta(hours=n).total_seconds())
