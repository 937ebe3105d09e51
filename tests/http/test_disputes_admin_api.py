"""Disputes, evidence, the back office, tickets and webhooks for payouts, through the real app."""

from __future__ import annotations

from typing import Any

from kustodia_domain.identity.model import Role
from tests.http.harness import Person, World, allow_all

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


Body = dict[str, Any]


def disputed(world: World, payer: Person, payee: Person, **terms: object) -> tuple[Body, Body]:
    escrow = world.funded(payer, payee, **terms)
    dispute = world.ok(
        "POST",
        f"/v1/escrows/{escrow['id']}/disputes",
        payer,
        {"reason": "r", "details": "d"},
        status=201,
    )
    return escrow, dispute


def test_evidence_is_stored_with_its_sha256_within_type_and_size_limits(
    world: World, payer: Person, payee: Person
) -> None:
    _, dispute = disputed(world, payer, payee)
    path = f"/v1/disputes/{dispute['id']}/evidence"
    stored = world.client.post(
        path, files={"file": ("photo.png", PNG, "image/png")}, headers=payer.auth
    )
    assert stored.status_code == 201
    assert len(stored.json()["sha256"]) == 64
    wrong_type = world.client.post(
        path, files={"file": ("a.exe", b"MZ\x90", "application/x-msdownload")}, headers=payer.auth
    )
    assert (wrong_type.status_code, wrong_type.json()["field"]) == (422, "file")
    disguised = world.client.post(
        path, files={"file": ("a.png", b"MZ\x90\x00", "image/png")}, headers=payer.auth
    )
    assert (disguised.status_code, disguised.json()["field"]) == (422, "file")
    too_big = world.client.post(
        path,
        files={"file": ("big.txt", b"a" * (10 * 1024 * 1024 + 70_000), "text/plain")},
        headers=payer.auth,
    )
    assert too_big.status_code == 413
    assert (
        world.ok("GET", f"/v1/disputes/{dispute['id']}", payee)["evidence"][0]["filename"]
        == "photo.png"
    )


def test_an_admin_assesses_and_a_split_settles_the_custody(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow, dispute = disputed(world, payer, payee)
    assessment = world.ok("POST", f"/v1/admin/disputes/{dispute['id']}/assessment", admin)
    assert {
        "outcome",
        "payee_share_bps",
        "confidence",
        "factors",
        "summary",
        "model",
        "fallback_used",
        "created_at",
    } <= set(assessment)
    assert (
        world.ok("GET", f"/v1/disputes/{dispute['id']}", payer)["assessment"]["model"]
        == assessment["model"]
    )
    missing = world.call(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "split", "reason": "r"},
    )
    assert (missing.status_code, missing.json()["field"]) == (422, "payee_amount")
    resolved = world.ok(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "split", "payee_amount": 40_000, "reason": "half"},
    )
    assert resolved["status"] == "resolved"
    assert world.get(payer, escrow["id"])["status"] == "split"
    again = world.call(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "refund", "reason": "r"},
    )
    assert again.status_code == 409


@allow_all  # an unverified N1 payer may not deposit 100,000 MXN in a month (ESC-KYC-02)
def test_a_high_value_resolution_needs_a_second_different_admin(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow, dispute = disputed(world, payer, payee, amount=10_000_000)
    proposed = world.ok(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "release", "reason": "delivered"},
    )
    assert proposed["status"] == "awaiting_second_approval"
    same = world.call("POST", f"/v1/admin/disputes/{dispute['id']}/approve", admin)
    assert (same.status_code, same.json()["code"]) == (422, "dispute.four_eyes")
    second = world.person("second", payout=False, role=Role.ADMIN)
    assert (
        world.ok("POST", f"/v1/admin/disputes/{dispute['id']}/approve", second)["status"]
        == "resolved"
    )
    assert world.get(payer, escrow["id"])["status"] == "released"


def test_holds_pause_release_and_are_audited(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.funded(payer, payee, custody_days=1)
    assert (
        world.ok("POST", f"/v1/admin/escrows/{escrow['id']}/hold", admin, {"reason": "KYC check"})[
            "status"
        ]
        == "on_hold"
    )
    assert world.advance(payer, 3 * 86_400)["released"] == 0
    assert (
        world.call("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer).status_code == 409
    )
    world.ok("POST", f"/v1/admin/escrows/{escrow['id']}/clear-hold", admin)
    assert world.advance(payer, 60)["released"] == 1
    actions = [e["action"] for e in world.ok("GET", "/v1/admin/audit?limit=100", admin)["items"]]
    assert {"escrow.held", "escrow.hold_cleared", "worker.pass"} <= set(actions)
    assert world.ok("GET", "/v1/admin/audit/verify", admin) == {
        "ok": True,
        "checked": len(actions),
        "first_broken": None,
    }


def test_the_audit_chain_reveals_tampering(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    world.funded(payer, payee)
    import attrs

    entries = list(world.run(lambda: world.audit.entries(offset=0, limit=100)))
    forged = attrs.evolve(
        entries[1], record=attrs.evolve(entries[1].record, actor_id="someone-else")
    )
    world.audit.tamper(1, forged)
    check = world.ok("GET", "/v1/admin/audit/verify", admin)
    assert (check["ok"], check["first_broken"]) == (False, 2)


@allow_all  # a deposit from a CLABE the payer never registered opens an alert (ESC-SPEI-04)
def test_admin_search_users_kyc_and_reconciliation(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    funded = world.funded(payer, payee)
    world.escrow(payer, payee)
    found = world.ok("GET", f"/v1/admin/escrows?status=funded&party_id={payee.id}", admin)["items"]
    assert [e["id"] for e in found] == [funded["id"]]
    users = world.ok("GET", "/v1/admin/users?q=payee", admin)["items"]
    assert [u["id"] for u in users] == [payee.id]
    assert (
        world.ok("PUT", f"/v1/admin/users/{payee.id}/kyc-level", admin, {"kyc_level": "N3"})[
            "kyc_level"
        ]
        == "N3"
    )
    assert (
        world.call(
            "PUT", f"/v1/admin/users/{payee.id}/kyc-level", admin, {"kyc_level": "N9"}
        ).status_code
        == 422
    )
    assert world.ok("GET", "/v1/admin/reconciliation", admin)["items"] == []
    assert world.ok("GET", "/v1/admin/fraud/alerts", admin)["items"] == []
    stats = world.ok("GET", "/v1/admin/analytics", admin)
    assert (stats["counts_by_status"]["funded"], stats["counts_by_status"]["awaiting_funds"]) == (
        1,
        1,
    )


def test_an_unmatched_webhook_deposit_waits_in_the_reconciliation_queue(
    world: World, admin: Person
) -> None:
    notice = {
        "event_id": "e1", "type": "deposit.received", "tracking_key": "SPEI-LOST",
        "clabe": "646180000000000012", "reference": "0000000", "amount": 5_000,
        "currency": "MXN", "sender_clabe": "012180012345678909", "sender_name": "Someone",
        "received_at": world.clock.now().isoformat(),
    }  # fmt: skip
    assert world.webhook(notice).json() == {"status": "unmatched"}
    queue = world.ok("GET", "/v1/admin/reconciliation", admin)["items"]
    assert [(d["tracking_key"], d["amount"], d["source_clabe"][-4:]) for d in queue] == [
        ("SPEI-LOST", 5_000, "8909")
    ]
    bad = world.webhook({**notice, "tracking_key": "X", "amount": "5000"})
    assert (bad.status_code, bad.json()["field"]) == (422, "amount")


@allow_all  # the payee's minutes-old payout CLABE would hold the release (ESC-SPEI-02)
def test_payout_webhooks_confirm_and_return_payouts(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.funded(payer, payee)
    world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    world.run(world.use_cases.dispatch_payouts.execute)
    [payout] = world.get(payer, escrow["id"])["payouts"]
    assert world.webhook(
        {"event_id": "p1", "type": "payout.confirmed", "payout_id": payout["id"]}
    ).json() == {"status": "confirmed"}
    assert world.get(payer, escrow["id"])["status"] == "completed"
    assert world.webhook(
        {"event_id": "p2", "type": "payout.returned", "payout_id": payout["id"]}
    ).json() == {"status": "returned"}
    assert world.get(admin, escrow["id"])["needs_review"] is True
    assert world.webhook({"event_id": "p3", "type": "kyc.updated"}).json() == {"status": "ignored"}
    reissued = world.ok("POST", f"/v1/admin/payouts/{payout['id']}/reissue", admin)
    assert [p["attempt"] for p in reissued["payouts"]] == [1, 2]


def test_tickets_move_along_and_notifications_arrive(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    ticket = world.ok(
        "POST", "/v1/tickets", payer, {"subject": "Help", "body": "Where is my money?"}, status=201
    )
    assert (
        world.call("POST", "/v1/tickets", payer, {"subject": "", "body": "x"}).json()["field"]
        == "subject"
    )
    world.ok("POST", f"/v1/tickets/{ticket['id']}/replies", admin, {"body": "Looking."}, status=201)
    assert world.ok("GET", f"/v1/tickets/{ticket['id']}", payer)["status"] == "in_progress"
    assert (
        world.ok("PATCH", f"/v1/admin/tickets/{ticket['id']}", admin, {"status": "closed"})[
            "status"
        ]
        == "closed"
    )
    late = world.call("POST", f"/v1/tickets/{ticket['id']}/replies", payer, {"body": "Thanks"})
    assert (late.status_code, late.json()["code"]) == (409, "ticket.closed")
    reopen = world.call("PATCH", f"/v1/admin/tickets/{ticket['id']}", admin, {"status": "open"})
    assert (reopen.status_code, reopen.json()["code"]) == (409, "ticket.invalid_transition")
    assert [t["id"] for t in world.ok("GET", "/v1/tickets", payer)["items"]] == [ticket["id"]]
    assert (
        world.ok("GET", "/v1/admin/tickets?status=closed", admin)["items"][0]["id"] == ticket["id"]
    )
    world.funded(payer, payee)
    kinds = {n["kind"] for n in world.ok("GET", "/v1/notifications", payee)["items"]}
    assert {"escrow_opened", "escrow_funded"} <= kinds
