"""Reconciliation with the rail through the back office: the queue of differences and runs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.http.harness import Person, World

pytestmark = pytest.mark.http

RUN = "/v1/admin/reconciliation/run"
DIFFERENCES = "/v1/admin/reconciliation/differences"


def _period(world: World) -> dict[str, str]:
    now = world.clock.now()
    return {"since": (now - timedelta(days=1)).isoformat(), "until": now.isoformat()}


def test_a_deposit_the_rail_does_not_know_is_queued_once_and_the_run_is_audited(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.funded(payer, payee)
    tracking_key = escrow["deposits"][0]["tracking_key"]
    world.rail.received.clear()  # the rail's statement has lost the transfer
    world.clock.advance(timedelta(hours=1))

    report = world.ok("POST", RUN, admin, _period(world))
    assert (report["rail_deposits"], report["queued"]) == (0, 1)
    [difference] = report["differences"]
    assert difference["kind"] == "unknown_deposit"
    assert difference["subject"] == tracking_key
    assert difference["escrow_id"] == escrow["id"]
    assert difference["recorded_amount"] == {"amount": escrow["amount"], "currency": "MXN"}

    again = world.ok("POST", RUN, admin, _period(world))
    assert again["queued"] == 0  # the same difference is queued once
    listed = world.ok("GET", DIFFERENCES, admin)["items"]
    assert [d["key"] for d in listed] == [f"unknown_deposit:{tracking_key}"]

    audit = world.ok("GET", "/v1/admin/audit", admin)
    runs = [e for e in audit["items"] if e["action"] == "reconciliation.run"]
    assert len(runs) == 2
    assert runs[0]["actor_id"] == admin.id


def test_books_that_match_the_sandbox_rail_have_no_differences(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    world.funded(payer, payee)
    world.clock.advance(timedelta(hours=1))
    report = world.ok("POST", RUN, admin, _period(world))
    assert (report["rail_deposits"], report["differences"]) == (1, [])
    assert world.ok("GET", DIFFERENCES, admin)["items"] == []


def test_only_staff_read_and_only_admins_run(world: World, payer: Person) -> None:
    assert world.call("GET", DIFFERENCES).status_code == 401
    assert world.call("POST", RUN, body=_period(world)).status_code == 401
    assert world.call("GET", DIFFERENCES, payer).status_code == 403
    refused = world.call("POST", RUN, payer, _period(world))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_a_period_must_be_over_and_have_a_time_zone(world: World, admin: Person) -> None:
    now = world.clock.now()
    future = {"since": now.isoformat(), "until": (now + timedelta(hours=1)).isoformat()}
    reply = world.call("POST", RUN, admin, future)
    assert reply.status_code == 422
    assert reply.json()["field"] == "until"
    naive = {"since": "2026-01-01T00:00:00", "until": "2026-01-02T00:00:00"}
    assert world.call("POST", RUN, admin, naive).status_code == 422
