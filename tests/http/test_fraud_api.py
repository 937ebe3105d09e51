"""The fraud desk over HTTP, with the shipped ruleset screening every request.

The review queue fills from real decisions, overrides need a second admin, and the blocklist and
watchlist are kept by admins and read by staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kustodia_domain.identity.model import Role
from tests.http.harness import BUYER_BANK, PASSWORD, Person, World

JUSTIFICATION = "Seller confirmed the new account by phone; bank letter on file"


def held_release(world: World, payer: Person, payee: Person) -> tuple[dict[str, Any], str]:
    """An escrow held at release (the payee's payout CLABE was set minutes ago) and its alert."""
    escrow = world.funded(payer, payee)
    held = world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    assert held["status"] == "on_hold"
    admin = world.person("reviewer", payout=False, role=Role.ADMIN)
    [alert] = [
        a
        for a in world.ok("GET", "/v1/admin/fraud/alerts", admin)["items"]
        if a["event_kind"] == "release"
    ]
    return escrow, alert["id"]


def test_a_review_decision_raises_an_alert_visible_in_the_review_queue(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.escrow(payer, payee)
    world.deposit(payer, escrow["id"], escrow["amount_due"], source=BUYER_BANK)
    [alert] = world.ok("GET", "/v1/admin/fraud/alerts", admin)["items"]
    assert (alert["event_kind"], alert["escrow_id"], alert["outcome"], alert["rule_ids"]) == (
        "escrow.fund",
        escrow["id"],
        "review",
        ["ESC-SPEI-04"],
    )
    assert world.get(payer, escrow["id"])["status"] == "funded"  # a review lets it go on
    assert world.call("GET", "/v1/admin/fraud/alerts", payer).status_code == 403


def test_an_override_needs_a_justification_and_a_second_admin_and_then_clears_the_hold(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow, alert_id = held_release(world, payer, payee)
    path = "/v1/admin/fraud/overrides"
    short = world.call("POST", path, admin, {"alert_id": alert_id, "justification": "ok"})
    assert (short.status_code, short.json()["code"]) == (
        422,
        "risk.override.justification_too_short",
    )
    override = world.ok(
        "POST", path, admin, {"alert_id": alert_id, "justification": JUSTIFICATION}, status=201
    )
    assert (override["state"], override["event_kind"], override["original_outcome"]) == (
        "pending",
        "release",
        "hold",
    )
    same = world.call("POST", f"{path}/{override['id']}/approve", admin)
    assert (same.status_code, same.json()["code"]) == (
        422,
        "risk.override.second_approver_required",
    )
    second = world.person("second", payout=False, role=Role.ADMIN)
    approved = world.ok("POST", f"{path}/{override['id']}/approve", second)
    assert (approved["state"], approved["decided_by"]) == ("approved", second.id)
    assert world.get(payer, escrow["id"])["status"] == "funded"
    released = world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    assert released["status"] == "released"

    staff_view = [
        e["type"] for e in world.ok("GET", f"/v1/escrows/{escrow['id']}/events", admin)["items"]
    ]
    assert {"RiskOverrideRequested", "RiskOverrideDecided", "EscrowHoldCleared"} <= set(staff_view)
    party_view = [
        e["type"] for e in world.ok("GET", f"/v1/escrows/{escrow['id']}/events", payer)["items"]
    ]
    assert not {"RiskScreened", "RiskOverrideRequested", "RiskOverrideDecided"} & set(party_view)
    actions = [e["action"] for e in world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]]
    assert {"fraud.override_requested", "fraud.override_approved"} <= set(actions)


def test_a_hold_the_risk_screen_placed_is_not_lifted_by_one_admins_clear_hold(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow, _ = held_release(world, payer, payee)
    path = f"/v1/admin/escrows/{escrow['id']}/clear-hold"
    refused = world.call("POST", path, admin)
    assert (refused.status_code, refused.json()["code"]) == (422, "rule.violation")
    assert world.call("POST", path, payer).status_code == 403
    assert world.get(payer, escrow["id"])["status"] == "on_hold"


def test_a_rejected_override_keeps_the_escrow_on_hold(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow, alert_id = held_release(world, payer, payee)
    override = world.ok(
        "POST",
        "/v1/admin/fraud/overrides",
        admin,
        {"alert_id": alert_id, "justification": JUSTIFICATION},
        status=201,
    )
    second = world.person("second", payout=False, role=Role.ADMIN)
    rejected = world.ok(
        "POST",
        f"/v1/admin/fraud/overrides/{override['id']}/reject",
        second,
        {"reason": "the letter is forged"},
    )
    assert rejected["state"] == "rejected"
    assert world.get(payer, escrow["id"])["status"] == "on_hold"
    missing = world.call("POST", "/v1/admin/fraud/overrides/ovr_nope/approve", second)
    assert missing.status_code == 404
    assert (
        world.call("POST", f"/v1/admin/fraud/overrides/{override['id']}/approve", payer).status_code
        == 403
    )


def test_admins_keep_the_blocklist_staff_read_it_and_a_listed_sign_up_is_refused(
    world: World, admin: Person
) -> None:
    compliance = world.person("compliance", payout=False, role=Role.COMPLIANCE)
    path = "/v1/admin/fraud/lists"
    body = {
        "list_name": "blocklist",
        "kind": "email",
        "value": "Mule@Example.mx",
        "reason": "confirmed mule account",
    }
    entry = world.ok("POST", path, admin, body, status=201)
    assert (entry["value"], entry["source"], entry["added_by"]) == (
        "mule@example.mx",
        "internal",
        admin.id,
    )
    assert world.call("POST", path, compliance, body).status_code == 403
    assert [e["id"] for e in world.ok("GET", f"{path}?list=blocklist", compliance)["items"]] == [
        entry["id"]
    ]
    assert world.ok("GET", f"{path}?list=watchlist", compliance)["items"] == []

    refused = world.call(
        "POST",
        "/v1/auth/register",
        body={"email": "mule@example.mx", "password": PASSWORD, "full_name": "Mule"},
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "risk.blocked")

    removed = world.ok("POST", f"{path}/{entry['id']}/remove", admin)
    assert removed["removed_by"] == admin.id
    assert world.ok("GET", path, admin)["items"] == []
    assert world.call("POST", f"{path}/lst_nope/remove", admin).status_code == 404


def test_list_entries_are_checked_when_added(world: World, admin: Person) -> None:
    path = "/v1/admin/fraud/lists"
    base = {"list_name": "watchlist", "kind": "clabe", "value": "012180012345678900", "reason": "r"}
    bad_clabe = world.call("POST", path, admin, base)
    assert (bad_clabe.status_code, bad_clabe.json()["field"]) == (422, "value")
    external = world.call("POST", path, admin, {**base, "list_name": "uif_blocked"})
    assert (external.status_code, external.json()["field"]) == (422, "list")
    no_reason = world.call("POST", path, admin, {**base, "value": BUYER_BANK, "reason": " "})
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    past = world.call(
        "POST", path, admin, {**base, "value": BUYER_BANK, "expires_at": "2000-01-01T00:00:00Z"}
    )
    assert (past.status_code, past.json()["field"]) == (422, "expires_at")


def test_sign_ups_are_counted_per_device_from_the_device_header(world: World) -> None:
    replies = []
    for n in range(3):
        world.clock.advance(timedelta(minutes=5))
        replies.append(
            world.call(
                "POST",
                "/v1/auth/register",
                body={"email": f"twin{n}@example.mx", "password": PASSWORD, "full_name": "Twin"},
                headers={"Kustodia-Device": "fp-0f1e2d"},
            )
        )
    assert [r.status_code for r in replies] == [201, 201, 403]
    assert replies[2].json()["code"] == "risk.blocked"
