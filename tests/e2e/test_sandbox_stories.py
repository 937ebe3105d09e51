"""The stories that lost money in the legacy system, played over HTTP in sandbox mode."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from kustodia_adapters.in_memory.risk import AllowAllRiskScreen
from kustodia_domain.identity.model import Role
from tests.http.harness import (
    BUYER_BANK,
    OTHER_BANK,
    Person,
    World,
    allow_all,
    hours,
    running_world,
)

DAY = hours(24)


def events(world: World, who: Person, escrow_id: str) -> list[str]:
    return [e["type"] for e in world.ok("GET", f"/v1/escrows/{escrow_id}/events", who)["items"]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_custody_clock_starts_at_funding_not_at_creation(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee, custody_days=5)
    world.advance(payer, 3 * DAY)
    funded = world.deposit(payer, escrow["id"], escrow["amount_due"])
    assert at(funded["custody_ends_at"]) - at(funded["funded_at"]) == timedelta(days=5)
    world.advance(payer, 4 * DAY)  # 7 days after creation, 4 after funding
    assert world.get(payer, escrow["id"])["status"] == "funded"
    done = world.advance(payer, DAY)
    assert done["released"] == 1
    assert world.get(payer, escrow["id"])["status"] == "completed"


def test_partial_then_full_funding_refunds_the_excess_to_its_own_source(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee, amount=100_000)
    partial = world.deposit(payer, escrow["id"], 40_000, source=BUYER_BANK)
    assert (partial["status"], partial["funded_amount"]) == ("awaiting_funds", 40_000)
    assert partial["funding_instructions"]["amount_due"] == 60_000
    funded = world.deposit(payer, escrow["id"], 80_000, source=OTHER_BANK)
    assert (funded["status"], funded["funded_amount"], funded["custody_balance"]) == (
        "funded",
        100_000,
        100_000,
    )
    [excess] = [p for p in funded["payouts"] if p["leg"] == "excess_refund"]
    assert excess["amount"] == 20_000
    assert excess["destination"].endswith(OTHER_BANK[-4:])
    world.advance(payer, 60)
    assert [o.destination.value for o in world.rail.sent if o.amount.amount_minor == 20_000] == [
        OTHER_BANK
    ]


def test_a_dispute_opened_just_before_the_deadline_blocks_auto_release(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.funded(payer, payee, custody_days=5)
    world.advance(payer, 5 * DAY - 60)
    world.ok(
        "POST",
        f"/v1/escrows/{escrow['id']}/disputes",
        payer,
        {"reason": "Broken", "details": "It broke."},
        status=201,
    )
    done = world.advance(payer, 10 * DAY)
    assert done["released"] == 0
    after = world.get(payee, escrow["id"])
    assert (after["status"], after["custody_balance"]) == ("disputed", escrow["custody_balance"])
    assert "FundsReleased" not in events(world, payer, escrow["id"])


def test_a_refund_goes_only_to_the_accounts_the_money_came_from(
    world: World, payer: Person, payee: Person, admin: Person
) -> None:
    escrow = world.escrow(payer, payee, amount=100_000)
    world.deposit(payer, escrow["id"], 30_000, source=BUYER_BANK)
    world.deposit(payer, escrow["id"], 70_000, source=OTHER_BANK)
    # The payer now points payouts elsewhere: a refund must ignore it.
    world.ok(
        "PUT", "/v1/me/payout-account", payer, {"clabe": "002115016003269411", "holder_name": "P"}
    )
    dispute = world.ok(
        "POST",
        f"/v1/escrows/{escrow['id']}/disputes",
        payer,
        {"reason": "r", "details": "d"},
        status=201,
    )
    world.ok(
        "POST",
        f"/v1/admin/disputes/{dispute['id']}/resolve",
        admin,
        {"outcome": "refund", "reason": "Not delivered"},
    )
    world.advance(admin, 60)
    refunds = {o.destination.value: o.amount.amount_minor for o in world.rail.sent}
    assert refunds == {BUYER_BANK: 30_000, OTHER_BANK: 70_000}
    assert world.get(payer, escrow["id"])["status"] == "completed"


@allow_all  # the payee's minutes-old payout CLABE would hold the release (ESC-SPEI-02)
def test_a_release_raced_by_both_parties_and_the_scheduler_settles_once(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.funded(payer, payee, custody_days=1)
    world.clock.advance(timedelta(days=1))  # due now, but nothing has run yet
    calls: list[tuple[str, str, Person, Any]] = [
        ("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer, None),
        ("POST", f"/v1/escrows/{escrow['id']}/approve-release", payee, None),
        ("POST", "/v1/sandbox/clock/advance", payee, {"seconds": 1}),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(lambda c: world.call(*c), calls))
    assert all(r.status_code in {200, 409} for r in replies), [r.text for r in replies]
    world.advance(payer, 60)
    final = world.get(payer, escrow["id"])
    assert final["status"] == "completed"
    assert events(world, payer, escrow["id"]).count("FundsReleased") == 1
    assert [p["leg"] for p in final["payouts"]].count("release") == 1
    assert sum(o.amount.amount_minor for o in world.rail.sent) == escrow["amount"]


def test_a_dual_approval_escrow_is_never_released_by_the_deadline_alone(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.funded(payer, payee, kind="dual_approval", custody_days=2)
    done = world.advance(payer, 30 * DAY)
    assert (done["released"], done["reminded"]) == (0, 1)
    assert world.get(payer, escrow["id"])["status"] == "funded"
    world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
    assert world.get(payer, escrow["id"])["status"] == "funded"
    assert (
        world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payee)["status"]
        == "released"
    )


def test_forged_stale_and_replayed_webhooks_change_nothing(
    world: World, payer: Person, payee: Person
) -> None:
    escrow = world.escrow(payer, payee, amount=100_000)
    due = escrow["funding_instructions"]
    notice = {
        "event_id": "evt-1", "type": "deposit.received", "tracking_key": "SPEI-REAL-1",
        "clabe": due["clabe"], "reference": due["reference"], "amount": 100_000,
        "currency": "MXN", "sender_clabe": BUYER_BANK, "sender_name": "Ana",
        "received_at": world.clock.now().isoformat(),
    }  # fmt: skip
    forged = {**notice, "tracking_key": "SPEI-FORGED"}
    wrong_secret = "not-the-secret-0123456789abcdef01234"  # noqa: S105 - the forger's guess
    assert world.webhook(forged, secret=wrong_secret).status_code == 401
    stale = world.webhook(
        {**notice, "tracking_key": "SPEI-STALE"}, at=world.wall[0] - timedelta(seconds=301)
    )
    assert (stale.status_code, stale.json()["code"]) == (401, "webhook.signature_stale")
    unsigned = world.client.post("/v1/webhooks/spei", json=notice)
    assert unsigned.status_code == 401
    assert world.get(payer, escrow["id"])["funded_amount"] == 0
    audit_before = len(world.run(lambda: world.audit.entries(offset=0, limit=1000)))

    applied = world.webhook(notice)
    assert applied.json() == {"status": "applied"}
    replay = world.client.post(
        "/v1/webhooks/spei",
        content=applied.request.content,
        headers={"Kustodia-Signature": applied.request.headers["Kustodia-Signature"]},
    )
    assert (replay.status_code, replay.json()["code"]) == (400, "webhook.replayed")
    assert world.get(payer, escrow["id"])["funded_amount"] == 100_000
    assert len(world.run(lambda: world.audit.entries(offset=0, limit=1000))) == audit_before + 1
    resent = world.webhook(notice, at=world.wall[0] + timedelta(seconds=5))
    assert resent.json() == {"status": "duplicate"}
    assert world.get(payer, escrow["id"])["funded_amount"] == 100_000


def test_a_fee_above_zero_is_charged_and_reported_as_revenue() -> None:
    # About fee revenue: the payee's minutes-old payout CLABE would hold the release.
    with running_world(fee_bps=150, risk=AllowAllRiskScreen()) as world:
        payer, payee = world.person("payer", payout=False), world.person("payee")
        admin = world.person("admin", payout=False, role=Role.ADMIN)
        escrow = world.escrow(payer, payee, amount=100_000)
        assert (escrow["platform_fee"], escrow["amount_due"]) == (1_500, 101_500)
        world.deposit(payer, escrow["id"], 101_500)
        world.ok("POST", f"/v1/escrows/{escrow['id']}/approve-release", payer)
        world.advance(payer, 60)
        assert world.get(payer, escrow["id"])["status"] == "completed"
        analytics = world.ok("GET", "/v1/admin/analytics", admin)
    assert analytics["gmv"] == {"amount": 100_000, "currency": "MXN"}
    assert analytics["fee_revenue"] == {"amount": 1_500, "currency": "MXN"}
    fee_sweeps = [o for o in world.rail.sent if o.amount.amount_minor == 1_500]
    assert len(fee_sweeps) == 1
