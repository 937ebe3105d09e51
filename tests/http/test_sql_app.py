"""The app as ``kustodia serve`` composes it: on a migrated SQLite file (or PostgreSQL), sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from alembic import command
from litestar.testing import TestClient
from sqlalchemy import update

from kustodia_adapters.sql.engine import create_engine
from kustodia_adapters.sql.tables import idempotency_keys
from kustodia_entrypoints.bootstrap import migrations
from kustodia_entrypoints.bootstrap.asgi import app_for
from kustodia_entrypoints.bootstrap.containers import Application, application_for, close_adapters
from kustodia_entrypoints.bootstrap.settings import load_settings
from kustodia_entrypoints.cli.demo_data import DEMO_LOGINS, seed_demo
from tests.integration.databases import require_postgres, scratch_postgres_database

pytestmark = pytest.mark.http

ANA, LUIS, OPS = DEMO_LOGINS[0], DEMO_LOGINS[1], DEMO_LOGINS[2]


def _container(url: str) -> Application:
    settings = load_settings({"KUSTODIA_ENV": "sandbox", "KUSTODIA_DATABASE_URL": url})
    return application_for(settings)


def _seed(container: Application) -> bool:
    async def seed() -> bool:
        try:
            return await seed_demo(container.use_cases())
        finally:
            await close_adapters(container)

    return asyncio.run(seed())


def _call(
    client: TestClient[Any],
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: Any = None,
    status: int = 200,
    device: str | None = None,
) -> Any:
    headers = {"Content-Type": "application/json"}
    if device is not None:
        headers["Kustodia-Device"] = device
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = None if body is None else orjson.dumps(body)
    reply = client.request(method, path, headers=headers, content=content)
    assert reply.status_code == status, reply.text
    return reply.json()


def _login(client: TestClient[Any], email: str, password: str) -> str:
    tokens = _call(client, "POST", "/v1/auth/login", body={"email": email, "password": password})
    return str(tokens["access_token"])


def _funded_by_ana(
    client: TestClient[Any], ana: str, *, amount: int, description: str
) -> dict[str, Any]:
    """An escrow Ana pays Luis, all in custody for five days, funded by a sandbox deposit."""
    terms = {
        "kind": "standard", "creator_role": "payer", "counterparty_email": LUIS.email,
        "amount": amount, "currency": "MXN", "custody_percent": 100, "custody_days": 5,
        "description": description,
    }  # fmt: skip
    escrow: dict[str, Any] = _call(client, "POST", "/v1/escrows", ana, body=terms, status=201)
    deposit = {"escrow_id": escrow["id"], "amount": escrow["amount_due"]}
    funded = _call(client, "POST", "/v1/sandbox/deposits", ana, body=deposit, status=201)
    assert funded["escrow"]["status"] == "funded"
    return escrow


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.integration),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database: a SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kustodia.db'}"
        migrations.upgrade(url)
        yield url
        return
    require_postgres()
    with scratch_postgres_database("serve") as url:
        migrations.upgrade(url)
        yield url


def test_an_escrow_completes_on_a_sqlite_file_and_survives_a_restart(database_url: str) -> None:
    first = _container(database_url)
    assert _seed(first) is True
    with TestClient(app_for(first), raise_server_exceptions=False) as client:
        assert _call(client, "GET", "/ready")["checks"]["schema"] == "at head"
        ana = _login(client, ANA.email, ANA.password)
        escrow = _funded_by_ana(client, ana, amount=150_000, description="Laptop")
        # Three days on: the seller's payout CLABE and the funding are no longer fresh to fraud.
        _call(client, "POST", "/v1/sandbox/clock/advance", ana, body={"seconds": 3 * 86_400})
        _call(client, "POST", f"/v1/escrows/{escrow['id']}/approve-release", ana)
        done = _call(client, "POST", "/v1/sandbox/clock/advance", ana, body={"seconds": 60})
        assert done["payouts_confirmed"] == 1
        assert _call(client, "GET", f"/v1/escrows/{escrow['id']}", ana)["status"] == "completed"

    # A new process on the same file: the demo data is not seeded twice, the escrow is there.
    second = _container(database_url)
    assert _seed(second) is False
    with TestClient(app_for(second), raise_server_exceptions=False) as client:
        luis = _login(client, LUIS.email, LUIS.password)
        again = _call(client, "GET", f"/v1/escrows/{escrow['id']}", luis)
        assert again["status"] == "completed"
        assert [p["status"] for p in again["payouts"]] == ["confirmed"]
        # Users registered after the restart get deposit CLABEs of their own.
        newcomer = {"email": "nueva@example.mx", "password": "a-long-password-1", "full_name": "N"}
        _call(client, "POST", "/v1/auth/register", body=newcomer, status=201)
        ops = _login(client, OPS.email, OPS.password)
        assert _call(client, "GET", "/v1/admin/audit/verify", ops)["ok"] is True


def test_the_fraud_desks_lists_alerts_and_history_survive_a_restart(database_url: str) -> None:
    # On SQLite they live in the file beside the main one, written while a unit is open there.
    lists, alerts = "/v1/admin/fraud/lists", "/v1/admin/fraud/alerts"
    mule = {"list_name": "blocklist", "kind": "email", "value": "mule@example.mx", "reason": "r"}
    first = _container(database_url)
    _seed(first)
    with TestClient(app_for(first), raise_server_exceptions=False) as client:
        ready = _call(client, "GET", "/ready")["checks"]
        if database_url.startswith("sqlite"):
            assert (ready["risk_database"], ready["risk_schema"]) == ("ok", "at head")
        ops, ana = _login(client, OPS.email, OPS.password), _login(client, ANA.email, ANA.password)
        entry = _call(client, "POST", lists, ops, body=mule, status=201)
        escrow = _funded_by_ana(client, ana, amount=90_000, description="Phone")
        # Luis set his payout CLABE minutes ago: the release is held and an alert raised.
        held = _call(client, "POST", f"/v1/escrows/{escrow['id']}/approve-release", ana)
        assert held["status"] == "on_hold"
        raised = _call(client, "GET", alerts, ops)["items"]
        assert escrow["id"] in {alert["escrow_id"] for alert in raised}
        for n in range(2):  # sign-ups are counted per device in the risk history
            signup = {"email": f"twin{n}@example.mx", "password": "a-long-password-1"}
            _call(client, "POST", "/v1/auth/register", body={**signup, "full_name": "T"},
                  device="fp-0f1e2d", status=201)  # fmt: skip

    second = _container(database_url)
    with TestClient(app_for(second), raise_server_exceptions=False) as client:
        ops = _login(client, OPS.email, OPS.password)
        assert [e["id"] for e in _call(client, "GET", f"{lists}?list=blocklist", ops)["items"]] == [
            entry["id"]
        ]
        assert _call(client, "GET", alerts, ops)["items"] == raised
        mule_signup = {"email": "mule@example.mx", "password": "a-long-password-1"}
        refused = _call(client, "POST", "/v1/auth/register", body={**mule_signup, "full_name": "M"},
                        status=403)  # fmt: skip
        assert refused["code"] == "risk.blocked"
        third = {"email": "twin2@example.mx", "password": "a-long-password-1", "full_name": "T"}
        again = _call(client, "POST", "/v1/auth/register", body=third, device="fp-0f1e2d",
                      status=403)  # fmt: skip
        assert again["code"] == "risk.blocked"


def test_ready_is_503_until_the_database_is_migrated(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    with TestClient(app_for(_container(url)), raise_server_exceptions=False) as client:
        reply = client.get("/ready")
        assert reply.status_code == 503, reply.text
        assert reply.json()["status"] == "not_ready"
    migrations.upgrade(url)
    with TestClient(app_for(_container(url)), raise_server_exceptions=False) as client:
        assert client.get("/ready").status_code == 200


def test_ready_is_503_while_the_sqlite_risk_file_is_not_migrated(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kustodia.db'}"
    command.upgrade(migrations.alembic_config(url), "head")  # the main file only
    with TestClient(app_for(_container(url)), raise_server_exceptions=False) as client:
        reply = client.get("/ready")
        assert reply.status_code == 503, reply.text
        checks = reply.json()["checks"]
        assert (checks["schema"], checks["risk_database"]) == ("at head", "ok")
        assert checks["risk_schema"].startswith("revision none")
    migrations.upgrade(url)
    with TestClient(app_for(_container(url)), raise_server_exceptions=False) as client:
        assert client.get("/ready").status_code == 200


def test_a_sandbox_kyc_session_opened_before_a_restart_is_settled_after_it(
    database_url: str,
) -> None:
    first = _container(database_url)
    _seed(first)
    with TestClient(app_for(first), raise_server_exceptions=False) as client:
        ana = _login(client, ANA.email, ANA.password)
        session = _call(client, "POST", "/v1/me/kyc", ana, body={"level": "N3"}, status=201)

    second = _container(database_url)
    with TestClient(app_for(second), raise_server_exceptions=False) as client:
        ana = _login(client, ANA.email, ANA.password)
        approve = f"/v1/sandbox/kyc/{session['session_id']}/approve"
        assert _call(client, "POST", approve, ana) == {"status": "approved"}
        assert _call(client, "GET", "/v1/me", ana)["kyc_level"] == "N3"
        assert _call(client, "POST", approve, ana) == {"status": "duplicate"}


def test_text_with_nul_is_the_same_422_on_every_database(database_url: str) -> None:
    # PostgreSQL cannot store U+0000 in text (it was a 500 there); SQLite would store it.
    with TestClient(app_for(_container(database_url)), raise_server_exceptions=False) as client:
        user = {"email": "nul@example.mx", "password": "a-long-password-1", "full_name": "A\x00B"}
        refused = _call(client, "POST", "/v1/auth/register", body=user, status=422)
        assert refused["field"] == "body"
        _call(client, "POST", "/v1/auth/register", body=user | {"full_name": "AB"}, status=201)


async def _forget_stored_responses(url: str) -> None:
    """As if the process had died after the commit and before storing its response."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            columns = ("response_status", "response_body", "response_media_type")
            await connection.execute(update(idempotency_keys).values(dict.fromkeys(columns)))
    finally:
        await engine.dispose()


OPEN_ESCROW = {
    "kind": "standard", "creator_role": "payer", "counterparty_email": LUIS.email,
    "amount": 90_000, "currency": "MXN", "custody_percent": 100, "custody_days": 5,
    "description": "Once only",
}  # fmt: skip
OPEN_TICKET = {"subject": "Once only", "body": "Where is my money?"}


@pytest.mark.parametrize(
    ("path", "body", "named_by"),
    [("/v1/escrows", OPEN_ESCROW, "description"), ("/v1/tickets", OPEN_TICKET, "subject")],
    ids=["escrow", "ticket"],
)
def test_a_request_whose_response_was_lost_after_its_commit_is_not_run_again(
    database_url: str, path: str, body: dict[str, object], named_by: str
) -> None:
    """The unit of work marked the key's claim committed: a retry cannot take it over.

    Escrows and tickets alike: both commit in the request's unit of work.
    """
    container = _container(database_url)
    assert _seed(container) is True
    with TestClient(app_for(container), raise_server_exceptions=False) as client:
        ana = _login(client, ANA.email, ANA.password)
        headers = {"Idempotency-Key": "create-once", "Authorization": f"Bearer {ana}"}
        first = client.post(path, json=body, headers=headers)
        assert first.status_code == 201
        asyncio.run(_forget_stored_responses(database_url))
        _call(client, "POST", "/v1/sandbox/clock/advance", ana, body={"seconds": 600})

        retry = client.post(path, json=body, headers=headers)

        assert (retry.status_code, retry.json()["code"]) == (409, "idempotency.response_lost")
        mine = _call(client, "GET", f"{path}?limit=100", ana)["items"]
        assert [c["id"] for c in mine if c[named_by] == "Once only"] == [first.json()["id"]]
