"""Admin commands commit their audit record with their change, whatever the trail does after.

Each back-office command adds its record to its own unit of work, so a trail that cannot be
written after the commit still answers the command's result, and the retry replays it.
"""

from __future__ import annotations

from typing import Any

import pytest

from kustodia_domain.identity.model import Role
from tests.http.harness import Person, World, allow_all
from tests.http.test_audit_after_commit import trail_unreachable
from tests.http.test_disputes_admin_api import disputed


def trail(world: World, admin: Person, subject_id: str) -> list[tuple[str, Any, Any]]:
    """The (action, actor, details) of every entry about ``subject_id``, oldest first."""
    entries = world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]
    return [
        (e["action"], e["actor_id"], e["details"]) for e in entries if e["subject_id"] == subject_id
    ]


def test_a_hold_whose_trail_failed_is_replayed_and_audited_once(
    world: World, payer: Person, payee: Person, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    escrow = world.funded(payer, payee)
    trail_unreachable(world, monkeypatch)
    path = f"/v1/admin/escrows/{escrow['id']}/hold"
    headers = {"Idempotency-Key": "hold-once"}

    first = world.call("POST", path, admin, {"reason": "KYC check"}, headers=headers)
    retry = world.call("POST", path, admin, {"reason": "KYC check"}, headers=headers)

    assert (first.status_code, first.json()["status"]) == (200, "on_hold")
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["idempotent-replayed"] == "true"

    monkeypatch.undo()
    world.advance(payer, 1)  # the worker's pass chains what waited
    held = [a for a in trail(world, admin, escrow["id"]) if a[0] == "escrow.held"]
    assert held == [("escrow.held", admin.id, {"reason": "KYC check"})]
    assert world.ok("GET", "/v1/admin/audit/verify", admin)["ok"] is True


def test_holds_assessments_and_resolutions_are_in_the_trail_once_with_their_admin(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    held = world.funded(payer, payee)
    world.ok("POST", f"/v1/admin/escrows/{held['id']}/hold", admin, {"reason": "KYC check"})
    world.ok("POST", f"/v1/admin/escrows/{held['id']}/clear-hold", admin)
    _, dispute = disputed(world, payer, payee)
    assessment = world.ok("POST", f"/v1/admin/disputes/{dispute['id']}/assessment", admin)
    world.ok(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "split", "payee_amount": 40_000, "reason": "half"},
    )

    assert [a for a in trail(world, admin, held["id"]) if a[1] == admin.id] == [
        ("escrow.held", admin.id, {"reason": "KYC check"}),
        ("escrow.hold_cleared", admin.id, {}),
    ]
    assert [a for a in trail(world, admin, dispute["id"]) if a[1] == admin.id] == [
        (
            "dispute.assessed",
            admin.id,
            {"outcome": assessment["outcome"], "model": assessment["model"]},
        ),
        (
            "dispute.resolution_proposed",
            admin.id,
            {"resolution": "split", "payee_amount": 40_000, "status": "resolved", "reason": "half"},
        ),
    ]
    assert world.ok("GET", "/v1/admin/audit/verify", admin)["ok"] is True


@allow_all  # an unverified N1 payer may not deposit 100,000 MXN in a month (ESC-KYC-02)
def test_a_high_value_resolution_records_the_proposal_and_the_second_admins_approval(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    _, dispute = disputed(world, payer, payee, amount=10_000_000)
    path = f"/v1/admin/disputes/{dispute['id']}"
    world.ok("POST", f"{path}/resolve", admin, {"outcome": "release", "reason": "delivered"})
    second = world.person("second", payout=False, role=Role.ADMIN)
    world.ok("POST", f"{path}/approve", second)

    admins = [a for a in trail(world, admin, dispute["id"]) if a[1] in (admin.id, second.id)]
    assert admins == [
        (
            "dispute.resolution_proposed",
            admin.id,
            {
                "resolution": "release",
                "payee_amount": None,
                "status": "awaiting_second_approval",
                "reason": "delivered",
            },
        ),
        ("dispute.resolution_approved", second.id, {"status": "resolved"}),
    ]


@allow_all  # the payee's minutes-old payout CLABE would hold the release (ESC-SPEI-02)
def test_a_reissued_payout_is_in_the_trail_with_the_admin_who_sent_it_again(
    world: World, payer: Person, payee: Person, admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    escrow = world.funded(payer, payee)
    world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    world.run(world.use_cases.dispatch_payouts.execute)
    [payout] = world.get(payer, escrow["id"])["payouts"]
    world.webhook({"event_id": "p1", "type": "payout.returned", "payout_id": payout["id"]})
    trail_unreachable(world, monkeypatch)

    reissued = world.call("POST", f"/v1/admin/payouts/{payout['id']}/reissue", admin)

    assert [p["attempt"] for p in reissued.json()["payouts"]] == [1, 2]
    monkeypatch.undo()
    world.advance(payer, 1)
    assert [a for a in trail(world, admin, payout["id"]) if a[0] == "payout.reissued"] == [
        ("payout.reissued", admin.id, {"escrow_id": escrow["id"], "new_destination": False})
    ]
