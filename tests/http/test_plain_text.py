"""Text with the NUL character is a 422 before anything runs, whatever the database."""

from __future__ import annotations

from typing import Any

import orjson

from tests.http.harness import Person, World


def terms(payee: Person, description: str) -> dict[str, Any]:
    return {
        "kind": "standard", "creator_role": "payer", "counterparty_email": payee.email,
        "amount": 150_000, "currency": "MXN", "custody_percent": 100, "custody_days": 5,
        "description": description,
    }  # fmt: skip


def test_a_json_body_with_nul_is_422_and_creates_nothing(
    world: World, payer: Person, payee: Person
) -> None:
    reply = world.call("POST", "/v1/escrows", payer, terms(payee, "Laptop\x00"))

    assert reply.status_code == 422
    assert (reply.json()["code"], reply.json()["field"]) == ("validation.invalid", "body")
    assert world.ok("GET", "/v1/escrows", payer)["items"] == []


def test_an_escaped_backslash_before_u0000_is_text_and_kept(
    world: World, payer: Person, payee: Person
) -> None:
    description = "C:\\u0000 and \\\\ too"  # a backslash, then the letters u0000
    raw = orjson.dumps(terms(payee, description))
    assert b"\\\\u0000" in raw

    created = world.ok("POST", "/v1/escrows", payer, terms(payee, description), status=201)

    assert created["description"] == description


def test_nul_in_the_path_or_the_query_is_422(world: World, payer: Person) -> None:
    in_path = world.call("GET", "/v1/escrows/esc%00x", payer)
    in_query = world.call("GET", "/v1/escrows?status=funded%00", payer)

    assert [(r.status_code, r.json()["field"]) for r in (in_path, in_query)] == [
        (422, "url"),
        (422, "url"),
    ]
