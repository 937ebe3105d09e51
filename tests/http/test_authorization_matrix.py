# ruff: noqa: E501 - one row per endpoint reads as the table it is
"""Who may do what: every endpoint answered for anonymous, payer, payee, outsider and admin.

Statuses are exact: 401 without a token, 404 for what the caller may not know exists, 403 for
what they may see but not do. Each row runs on a fresh world, so one call cannot mask another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kustodia_domain.identity.model import Role
from tests.http.harness import Person, World, running_world

ROLES = ("anonymous", "payer", "payee", "outsider", "admin")


class Scene:
    """A funded escrow with a dispute and a ticket of the payer's, and the five callers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.payer = world.person("payer", payout=False)
        self.payee = world.person("payee")
        self.outsider = world.person("outsider")
        self.admin = world.person("admin", payout=False, role=Role.ADMIN)
        self.escrow = world.funded(self.payer, self.payee)["id"]
        self.awaiting = world.escrow(self.payer, self.payee)["id"]
        self.request = world.escrow(self.payer, self.payee, creator_role="payee")["id"]
        disputed = world.funded(self.payer, self.payee)["id"]
        self.dispute = world.ok(
            "POST",
            f"/v1/escrows/{disputed}/disputes",
            self.payer,
            {"reason": "r", "details": "d"},
            status=201,
        )["id"]
        self.ticket = world.ok(
            "POST", "/v1/tickets", self.payer, {"subject": "s", "body": "b"}, status=201
        )["id"]

    def caller(self, role: str) -> Person | None:
        return None if role == "anonymous" else getattr(self, role)


Row = tuple[str, Callable[[Scene], str], Callable[[Scene], Any], tuple[int, int, int, int, int]]
#                                    anonymous payer payee outsider admin
ROWS: list[tuple[str, str, Callable[[Scene], str], Any, tuple[int, ...]]] = [
    ("GET", "me", lambda s: "/v1/me", None, (401, 200, 200, 200, 200)),
    ("GET", "list escrows", lambda s: "/v1/escrows", None, (401, 200, 200, 200, 200)),
    ("GET", "escrow", lambda s: f"/v1/escrows/{s.escrow}", None, (401, 200, 200, 404, 200)),
    ("GET", "events", lambda s: f"/v1/escrows/{s.escrow}/events", None, (401, 200, 200, 404, 200)),
    ("GET", "ledger", lambda s: f"/v1/escrows/{s.escrow}/ledger", None, (401, 200, 200, 404, 200)),
    ("POST", "accept", lambda s: f"/v1/escrows/{s.request}/accept", None, (401, 200, 403, 404, 403)),
    ("POST", "cancel", lambda s: f"/v1/escrows/{s.awaiting}/cancel", None, (401, 200, 200, 404, 403)),
    ("POST", "approve", lambda s: f"/v1/escrows/{s.escrow}/approve-release", None, (401, 200, 200, 404, 403)),
    ("POST", "dispute", lambda s: f"/v1/escrows/{s.escrow}/disputes", {"reason": "r", "details": "d"}, (401, 201, 201, 404, 403)),
    ("GET", "dispute", lambda s: f"/v1/disputes/{s.dispute}", None, (401, 200, 200, 404, 200)),
    ("GET", "messages", lambda s: f"/v1/disputes/{s.dispute}/messages", None, (401, 200, 200, 404, 200)),
    ("POST", "message", lambda s: f"/v1/disputes/{s.dispute}/messages", {"body": "hi"}, (401, 201, 201, 404, 201)),
    ("POST", "assess", lambda s: f"/v1/admin/disputes/{s.dispute}/assessment", None, (401, 403, 403, 403, 200)),
    ("POST", "resolve", lambda s: f"/v1/admin/disputes/{s.dispute}/resolve", {"outcome": "refund", "reason": "r"}, (401, 403, 403, 403, 200)),
    ("POST", "sandbox deposit", lambda s: "/v1/sandbox/deposits", "DEPOSIT", (401, 201, 201, 404, 201)),
    ("GET", "sandbox clock", lambda s: "/v1/sandbox/clock", None, (401, 200, 200, 200, 200)),
    ("POST", "ticket", lambda s: "/v1/tickets", {"subject": "s", "body": "b"}, (401, 201, 201, 201, 201)),
    ("GET", "ticket", lambda s: f"/v1/tickets/{s.ticket}", None, (401, 200, 404, 404, 200)),
    ("POST", "reply", lambda s: f"/v1/tickets/{s.ticket}/replies", {"body": "b"}, (401, 201, 404, 404, 201)),
    ("PATCH", "ticket status", lambda s: f"/v1/admin/tickets/{s.ticket}", {"status": "in_progress"}, (401, 403, 403, 403, 200)),
    ("GET", "admin tickets", lambda s: "/v1/admin/tickets", None, (401, 403, 403, 403, 200)),
    ("GET", "notifications", lambda s: "/v1/notifications", None, (401, 200, 200, 200, 200)),
    ("GET", "admin escrows", lambda s: "/v1/admin/escrows", None, (401, 403, 403, 403, 200)),
    ("POST", "hold", lambda s: f"/v1/admin/escrows/{s.escrow}/hold", {"reason": "kyc"}, (401, 403, 403, 403, 200)),
    ("GET", "fraud alerts", lambda s: "/v1/admin/fraud/alerts", None, (401, 403, 403, 403, 200)),
    ("GET", "analytics", lambda s: "/v1/admin/analytics", None, (401, 403, 403, 403, 200)),
    ("GET", "users", lambda s: "/v1/admin/users", None, (401, 403, 403, 403, 200)),
    ("PUT", "kyc", lambda s: f"/v1/admin/users/{s.payer.id}/kyc-level", {"kyc_level": "N2"}, (401, 403, 403, 403, 200)),
    ("GET", "reconciliation", lambda s: "/v1/admin/reconciliation", None, (401, 403, 403, 403, 200)),
    ("GET", "audit", lambda s: "/v1/admin/audit", None, (401, 403, 403, 403, 200)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "name", "path", "payload", "expected"), ROWS, ids=[r[1] for r in ROWS]
)
def test_each_role_gets_exactly_its_status(
    method: str, name: str, path: Callable[[Scene], str], payload: Any, expected: tuple[int, ...]
) -> None:
    with running_world() as world:
        scene = Scene(world)
        body = {"escrow_id": scene.awaiting, "amount": 1_000} if payload == "DEPOSIT" else payload
        got = []
        for role in ROLES:
            reply = world.call(method, path(scene), scene.caller(role), body)
            got.append(reply.status_code)
            # Each mutating call rolls back by starting from a fresh scene on the next role.
            if method != "GET" and reply.status_code < 300:
                scene = Scene(world)
                body = (
                    {"escrow_id": scene.awaiting, "amount": 1_000}
                    if payload == "DEPOSIT"
                    else payload
                )
        assert tuple(got) == expected, dict(zip(ROLES, got, strict=True))
