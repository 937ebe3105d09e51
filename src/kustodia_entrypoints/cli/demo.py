"""``kustodia demo``: the narrated escrow story, played against the HTTP API.

Payment request with partial and full funding, a dispute, the assessment, a split resolution
and the payouts, each step printed. It needs a sandbox server (simulated deposits and the test
clock) whose demo admins exist, as ``kustodia serve`` seeds them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kustodia_entrypoints.cli.demo_data import DEMO_LOGINS

BUYER_BANK = "012180012345678909"
SELLER_BANK = "002115016003269411"


class Reply(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Client(Protocol):
    """What the demo needs of an HTTP client (``httpx.Client`` and Litestar's test client fit)."""

    def request(
        self, method: str, url: str, *, json: Any = None, headers: Mapping[str, str] | None = None
    ) -> Any: ...


class DemoFailedError(Exception):
    """The API answered something the story did not expect."""


class _Api:
    def __init__(self, client: Client) -> None:
        self._client = client

    def call(
        self, method: str, path: str, token: str | None = None, body: Any = None, expect: int = 200
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply: Reply = self._client.request(method, path, json=body, headers=headers)
        if reply.status_code != expect:
            raise DemoFailedError(f"{method} {path} answered {reply.status_code}: {reply.text}")
        return reply.json()

    def login(self, email: str, password: str) -> str:
        tokens = self.call("POST", "/v1/auth/login", body={"email": email, "password": password})
        return str(tokens["access_token"])

    def verify_kyc(self, admin: str, token: str, level: str) -> None:
        user_id = self.call("GET", "/v1/me", token)["id"]
        self.call("PUT", f"/v1/admin/users/{user_id}/kyc-level", admin, {"kyc_level": level})

    def user(self, name: str, bank: str) -> tuple[str, str]:
        email = f"{name}.{secrets.token_hex(3)}@demo.kustodia.mx"
        password = f"{name}-story-password"
        body = {"email": email, "password": password, "full_name": name.title()}
        self.call("POST", "/v1/auth/register", body=body, expect=201)
        token = self.login(email, password)
        self.call(
            "PUT", "/v1/me/payout-account", token, {"clabe": bank, "holder_name": name.title()}
        )
        return email, token


def _pesos(minor: int) -> str:
    return f"{minor / 100:,.2f} MXN"


def run_demo(client: Client, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Play the story; returns the final escrow. Raises DemoFailedError on a surprise."""
    api = _Api(client)
    _, buyer = api.user("ana", BUYER_BANK)
    seller_email, seller = api.user("luis", SELLER_BANK)
    buyer_email = api.call("GET", "/v1/me", buyer)["email"]
    admin = api.login(DEMO_LOGINS[2].email, DEMO_LOGINS[2].password)
    # Fresh, unverified accounts would be held by the fraud rules at this amount: the story's
    # parties verified their identity and set their payout accounts up days before the sale.
    for token in (buyer, seller):
        api.verify_kyc(admin, token, "N3")
    api.call("POST", "/v1/sandbox/clock/advance", admin, {"seconds": 3 * 24 * 3600})
    say(
        f"1. Buyer {buyer_email} and seller {seller_email} registered, were KYC-verified (N3) "
        "and logged in; three days pass"
    )
    request = {
        "kind": "standard", "creator_role": "payee", "counterparty_email": buyer_email,
        "amount": 1_500_000, "currency": "MXN", "custody_percent": 70, "custody_days": 5,
        "description": "Used motorcycle", "release_conditions": "Runs on delivery",
    }  # fmt: skip
    escrow = api.call("POST", "/v1/escrows", seller, request, expect=201)
    eid = escrow["id"]
    fee = _pesos(escrow["platform_fee"])
    say(f"2. Seller requested {_pesos(escrow['amount'])} (fee {fee}): {escrow['status']}")
    escrow = api.call("POST", f"/v1/escrows/{eid}/accept", buyer)
    due = escrow["funding_instructions"]
    pay = _pesos(due["amount_due"])
    say(f"3. Buyer accepted: pay {pay} to CLABE {due['clabe']} ref {due['reference']}")
    deposit = {"escrow_id": eid, "amount": 600_000, "sender_clabe": BUYER_BANK}
    escrow = api.call("POST", "/v1/sandbox/deposits", buyer, deposit, expect=201)["escrow"]
    funded = _pesos(escrow["funded_amount"])
    say(f"4. Partial SPEI deposit of {_pesos(600_000)}: {escrow['status']}, funded {funded}")
    rest = escrow["amount_due"] - escrow["funded_amount"] + 50_000
    escrow = api.call(
        "POST", "/v1/sandbox/deposits", buyer, {**deposit, "amount": rest}, expect=201
    )["escrow"]
    say(f"5. Deposit of {_pesos(rest)} funds it ({escrow['status']}); the excess goes back")
    dispute = api.call(
        "POST",
        f"/v1/escrows/{eid}/disputes",
        buyer,
        {"reason": "Not as described", "details": "The engine does not start."},
        expect=201,
    )
    api.call(
        "POST",
        f"/v1/disputes/{dispute['id']}/messages",
        seller,
        {"body": "It ran on delivery."},
        expect=201,
    )
    say(f"6. Buyer disputed ({dispute['id']}): release frozen; the seller answered")
    assessment = api.call("POST", f"/v1/admin/disputes/{dispute['id']}/assessment", admin)
    share = assessment["payee_share_bps"]
    say(f"7. Assessment by {assessment['model']}: {assessment['outcome']}, seller {share} bps")
    custody = api.call("GET", f"/v1/escrows/{eid}", admin)["custody_balance"]
    resolution = {"outcome": "split", "payee_amount": custody // 2, "reason": "Repair costs shared"}
    dispute = api.call("POST", f"/v1/admin/disputes/{dispute['id']}/resolve", admin, resolution)
    say(f"8. Admin split the custody of {_pesos(custody)}: dispute {dispute['status']}")
    advanced = api.call("POST", "/v1/sandbox/clock/advance", admin, {"seconds": 60})
    escrow = api.call("GET", f"/v1/escrows/{eid}", buyer)
    sent = advanced["payouts_sent"]
    say(f"9. The rail sent {sent} payouts and confirmed them: escrow {escrow['status']}")
    for payout in escrow["payouts"]:
        say(f"   - {payout['leg']:<14} {_pesos(payout['amount']):>16} to {payout['destination']}")
    return dict(escrow)
