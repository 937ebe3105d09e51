"""The rail's retries: a notice is consumed only once its effect committed, and once per event.

A delivery that failed (409, 500, ...) must be applied when the rail retries the identical
signed request; a re-signed redelivery of an event already applied must not be applied or
audited again.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from kustodia_domain.services.record_deposit import (
    DepositOutcome,
    RecordDeposit,
    RecordDepositHandler,
)
from kustodia_domain.shared.errors import ConcurrencyConflictError
from tests.http.harness import BUYER_BANK, Person, World, allow_all

Body = dict[str, Any]


def audited(world: World, action: str) -> list[str]:
    entries = world.run(lambda: world.audit.entries(offset=0, limit=1_000))
    return [e.record.subject_id for e in entries if e.record.action == action]


def released(world: World, payer: Person, payee: Person) -> tuple[str, str]:
    """A funded escrow the payer released: its one payout is scheduled, not yet sent."""
    escrow = world.funded(payer, payee)
    world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    [payout] = world.get(payer, escrow["id"])["payouts"]
    return escrow["id"], payout["id"]


def payout_status(world: World, who: Person, escrow_id: str) -> str:
    [payout] = world.get(who, escrow_id)["payouts"]
    return str(payout["status"])


def deposit_notice(world: World, escrow: Body, tracking_key: str) -> Body:
    instructions = escrow["funding_instructions"]
    return {
        "event_id": f"evt-{tracking_key}", "type": "deposit.received",
        "tracking_key": tracking_key, "clabe": instructions["clabe"],
        "reference": instructions["reference"], "amount": escrow["amount_due"],
        "currency": "MXN", "sender_clabe": BUYER_BANK, "sender_name": "Payer",
        "received_at": world.clock.now().isoformat(),
    }  # fmt: skip


def lose_the_first_deposit_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first deposit recorded loses its optimistic-lock race (409); later ones run as usual.

    What a concurrent deposit to the same escrow committing first does to it.
    """
    real = RecordDepositHandler.execute
    calls = itertools.count()

    async def racing(handler: RecordDepositHandler, cmd: RecordDeposit) -> DepositOutcome:
        if next(calls) == 0:
            raise ConcurrencyConflictError("a concurrent deposit to this escrow committed first")
        return await real(handler, cmd)

    monkeypatch.setattr(RecordDepositHandler, "execute", racing)


@allow_all  # the payee's minutes-old payout CLABE would hold the release (ESC-SPEI-02)
def test_a_return_refused_before_the_send_was_recorded_is_applied_when_the_rail_retries(
    world: World, payer: Person, payee: Person
) -> None:
    escrow_id, payout_id = released(world, payer, payee)
    notice = {"event_id": "evt-ret-1", "type": "payout.returned", "payout_id": payout_id}

    early = world.webhook(notice)  # the worker has not recorded the send yet
    world.run(world.use_cases.dispatch_payouts.execute)
    retry = world.webhook(notice)  # the identical signed request, retried by the rail

    assert early.status_code == 409
    assert (retry.status_code, retry.json()) == (200, {"status": "returned"})
    assert payout_status(world, payer, escrow_id) == "returned"
    assert audited(world, "payout.returned") == [payout_id]


def test_a_deposit_whose_first_processing_failed_is_credited_when_the_rail_retries(
    world: World, payer: Person, payee: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    escrow = world.escrow(payer, payee)
    notice = deposit_notice(world, escrow, "SPEI-RETRY-1")
    lose_the_first_deposit_race(monkeypatch)

    failed = world.webhook(notice)
    retry = world.webhook(notice)  # the identical signed request, retried by the rail

    assert failed.status_code == 409
    assert (retry.status_code, retry.json()) == (200, {"status": "applied"})
    assert world.get(payer, escrow["id"])["status"] == "funded"
    assert audited(world, "deposit.applied") == ["SPEI-RETRY-1"]


@allow_all  # the payee's minutes-old payout CLABE would hold the release (ESC-SPEI-02)
def test_the_same_event_re_signed_later_is_applied_and_audited_once(
    world: World, payer: Person, payee: Person
) -> None:
    escrow_id, payout_id = released(world, payer, payee)
    world.run(world.use_cases.dispatch_payouts.execute)
    notice = {"event_id": "evt-conf-1", "type": "payout.confirmed", "payout_id": payout_id}

    first = world.webhook(notice)
    world.wall[0] += timedelta(seconds=30)
    re_signed = world.webhook(notice)  # same event, a new timestamp and so a new signature

    assert (first.status_code, first.json()) == (200, {"status": "confirmed"})
    assert (re_signed.status_code, re_signed.json()) == (200, {"status": "duplicate"})
    assert world.get(payer, escrow_id)["status"] == "completed"
    assert audited(world, "payout.confirmed") == [payout_id]


def test_the_identical_request_after_it_was_applied_is_still_refused_as_replayed(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee)
    notice = deposit_notice(world, escrow, "SPEI-ONCE-1")

    applied = world.webhook(notice)
    replayed = world.webhook(notice)

    assert (applied.status_code, applied.json()) == (200, {"status": "applied"})
    assert (replayed.status_code, replayed.json()["code"]) == (400, "webhook.replayed")
    assert audited(world, "deposit.applied") == ["SPEI-ONCE-1"]


def test_refused_signatures_leave_no_receipt_behind(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee)
    notice = deposit_notice(world, escrow, "SPEI-SIGNED-1")

    forged = world.webhook(notice, secret="not-the-rail-secret-0123456789abcdef")  # noqa: S106
    stale = world.webhook(notice, at=world.wall[0] - timedelta(seconds=301))

    assert [r.status_code for r in (forged, stale)] == [401, 401]
    assert world.get(payer, escrow["id"])["status"] == "awaiting_funds"
    assert world.webhook(notice).json() == {"status": "applied"}
