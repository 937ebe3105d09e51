"""Escrows over HTTP: the representation, money on the wire, the commands and idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.harness import Person, World

CONTRACT_FIELDS = {
    "id", "kind", "status", "payer_id", "payee_id", "amount", "currency", "custody_percent",
    "custody_days", "amount_due", "platform_fee", "funded_amount", "custody_balance",
    "custody_ends_at", "funding_instructions", "approvals", "created_at", "updated_at",
}  # fmt: skip


def body(payee: Person, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "standard", "creator_role": "payer", "counterparty_email": payee.email,
        "amount": 150_000, "currency": "MXN", "custody_percent": 100, "custody_days": 5,
        "description": "Laptop",
    } | overrides  # fmt: skip


def test_an_escrow_has_every_field_of_the_contract(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.ok("POST", "/v1/escrows", payer, body(payee), status=201)
    assert set(escrow) >= CONTRACT_FIELDS
    assert escrow["status"] == "awaiting_funds"
    assert escrow["custody_ends_at"] is None
    assert escrow["funding_instructions"]["amount_due"] == escrow["amount_due"] == 150_000
    assert escrow["approvals"] == {"payer": False, "payee": False}
    assert escrow["created_at"].endswith("Z")


@pytest.mark.parametrize("amount", [1500.5, "150000", -1, True, None])
def test_an_amount_that_is_not_a_whole_number_of_centavos_is_422(
    world: World, payer: Person, payee: Person, amount: object
) -> None:
    reply = world.call("POST", "/v1/escrows", payer, body(payee, amount=amount))
    assert reply.status_code == 422
    assert reply.json()["field"] == "amount"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"custody_percent": 101}, "custody_percent"),
        ({"custody_days": 0}, "custody_days"),
        ({"custody_days": "5"}, "custody_days"),
        ({"kind": "instant"}, "kind"),
        ({"currency": "USD"}, "currency"),
        ({"counterparty_email": "nobody@example.mx"}, "counterparty_email"),
        ({"description": ""}, "description"),
        ({"commissions": [{"email": "nobody@example.mx", "percent_bps": 250}]}, "commissions"),
    ],
)
def test_each_invalid_term_is_422_naming_its_field(
    world: World, payer: Person, payee: Person, overrides: dict[str, Any], field: str
) -> None:
    reply = world.call("POST", "/v1/escrows", payer, body(payee, **overrides))
    assert reply.status_code == 422, reply.text
    assert reply.json()["field"] == field


def test_a_payment_request_is_accepted_by_the_payer_only(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee, creator_role="payee")
    assert escrow["status"] == "requested"
    refused = world.call("POST", f"/v1/escrows/{escrow['id']}/accept", payee)
    assert (refused.status_code, refused.json()["code"]) == (403, "escrow.not_a_party")
    accepted = world.ok("POST", f"/v1/escrows/{escrow['id']}/accept", payer)
    assert accepted["status"] == "awaiting_funds"
    again = world.call("POST", f"/v1/escrows/{escrow['id']}/accept", payer)
    assert (again.status_code, again.json()["code"]) == (409, "escrow.invalid_transition")


def test_listing_pages_the_callers_escrows_newest_first(
    world: World, payer: Person, payee: Person
) -> None:
    ids = [world.escrow(payer, payee)["id"] for _ in range(3)]
    page = world.ok("GET", "/v1/escrows?limit=2&offset=0", payer)
    assert [e["id"] for e in page["items"]] == ids[::-1][:2]
    assert (page["limit"], page["offset"]) == (2, 0)
    assert world.call("GET", "/v1/escrows?limit=0", payer).status_code == 422


def test_the_timeline_and_the_ledger_follow_the_money(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.funded(payer, payee)
    events = [
        e["type"] for e in world.ok("GET", f"/v1/escrows/{escrow['id']}/events", payer)["items"]
    ]
    assert events[:1] == ["EscrowOpened"]
    assert "EscrowFunded" in events
    assert "RiskScreened" not in events  # fraud internals are for staff
    ledger = world.ok("GET", f"/v1/escrows/{escrow['id']}/ledger", payee)["items"]
    assert all(sum(p["amount"] for p in t["postings"]) == 0 for t in ledger)


def test_cancel_before_funding_and_dispute_only_while_funded(
    world: World, payer: Person, payee: Person
) -> None:
    awaiting = world.escrow(payer, payee)
    early = world.call(
        "POST", f"/v1/escrows/{awaiting['id']}/disputes", payer, {"reason": "r", "details": "d"}
    )
    assert early.status_code == 409
    assert world.ok("POST", f"/v1/escrows/{awaiting['id']}/cancel", payee)["status"] == "cancelled"
    funded = world.funded(payer, payee)
    assert world.call("POST", f"/v1/escrows/{funded['id']}/cancel", payer).status_code == 409
    dispute = world.ok(
        "POST",
        f"/v1/escrows/{funded['id']}/disputes",
        payer,
        {"reason": "r", "details": "d"},
        status=201,
    )
    assert dispute["status"] == "open"
    assert dispute["assessment"] is None


def test_an_idempotency_key_replays_the_first_response(
    world: World, payer: Person, payee: Person
) -> None:
    headers = {"Idempotency-Key": "create-1"}
    first = world.call("POST", "/v1/escrows", payer, body(payee), headers=headers)
    again = world.call("POST", "/v1/escrows", payer, body(payee), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(world.ok("GET", "/v1/escrows", payer)["items"]) == 1


def test_an_idempotency_key_reused_for_another_body_is_409(
    world: World, payer: Person, payee: Person
) -> None:
    headers = {"Idempotency-Key": "create-2"}
    world.call("POST", "/v1/escrows", payer, body(payee), headers=headers)
    other = world.call("POST", "/v1/escrows", payer, body(payee, amount=99), headers=headers)
    assert (other.status_code, other.json()["code"]) == (409, "idempotency.conflict")


def test_idempotency_keys_belong_to_their_caller(
    world: World, payer: Person, payee: Person
) -> None:
    headers = {"Idempotency-Key": "same-key"}
    world.ok("POST", "/v1/escrows", payer, body(payee), status=201, headers=headers)
    mine = world.call(
        "POST", "/v1/escrows", payee, body(payer, creator_role="payee"), headers=headers
    )
    assert mine.status_code == 201
    assert "idempotent-replayed" not in mine.headers


def test_a_refused_money_move_is_replayed_as_refused(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee)
    headers = {"Idempotency-Key": "approve-early"}
    first = world.call(
        "POST", f"/v1/escrows/{escrow['id']}/approve-release", payer, headers=headers
    )
    world.deposit(payer, escrow["id"], escrow["amount_due"])
    again = world.call(
        "POST", f"/v1/escrows/{escrow['id']}/approve-release", payer, headers=headers
    )
    assert first.status_code == again.status_code == 409
    assert world.get(payer, escrow["id"])["status"] == "funded"
