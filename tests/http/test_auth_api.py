"""Registration, login, lockout, refresh rotation and the profile, through the real app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kustodia_entrypoints.http.tokens import AccessTokens
from tests.http.harness import JWT_SECRET, PASSWORD, Person, World, running_world


def register(world: World, **body: object) -> tuple[int, dict[str, object]]:
    payload = {"email": "new@example.mx", "password": PASSWORD, "full_name": "New"} | body
    reply = world.call("POST", "/v1/auth/register", body=payload)
    return reply.status_code, reply.json()


def test_registering_answers_the_user_without_any_secret(world: World) -> None:
    status, body = register(world)
    assert status == 201
    assert set(body) == {"id", "email", "full_name", "role"}
    assert body["role"] == "user"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"full_name": ""}, "full_name"),
        ({"email": 7}, "email"),
    ],
)
def test_a_bad_registration_is_422_naming_the_field(
    world: World, body: dict[str, object], field: str
) -> None:
    status, problem = register(world, **body)
    assert status == 422
    assert problem["field"] == field
    assert str(problem["code"]).startswith("validation")


def test_a_missing_field_is_422_naming_it(world: World) -> None:
    reply = world.call(
        "POST", "/v1/auth/register", body={"email": "a@example.mx", "password": PASSWORD}
    )
    assert reply.status_code == 422
    assert reply.json()["field"] == "full_name"


def test_malformed_json_is_400_and_a_taken_email_is_409(world: World) -> None:
    reply = world.client.post(
        "/v1/auth/register", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert register(world)[0] == 201
    status, problem = register(world, email="NEW@example.mx")
    assert (status, problem["code"]) == (409, "conflict")


def test_login_answers_a_bearer_pair_valid_fifteen_minutes(world: World) -> None:
    register(world)
    tokens = world.ok(
        "POST", "/v1/auth/login", body={"email": "new@example.mx", "password": PASSWORD}
    )
    assert tokens["token_type"] == "bearer"  # noqa: S105 - the OAuth token type
    assert tokens["expires_in"] == 900
    me = world.ok("GET", "/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert set(me) == {
        "id",
        "email",
        "full_name",
        "role",
        "kyc_level",
        "deposit_clabe",
        "payout_account",
    }


def test_a_wrong_password_and_an_unknown_email_fail_alike(world: World) -> None:
    register(world)
    wrong = world.call(
        "POST", "/v1/auth/login", body={"email": "new@example.mx", "password": "x" * 12}
    )
    unknown = world.call(
        "POST", "/v1/auth/login", body={"email": "who@example.mx", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_five_failures_lock_the_account_even_for_the_right_password(world: World) -> None:
    register(world)
    for _ in range(5):
        world.call("POST", "/v1/auth/login", body={"email": "new@example.mx", "password": "x" * 12})
    locked = world.call(
        "POST", "/v1/auth/login", body={"email": "new@example.mx", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.locked"
    world.clock.advance(timedelta(minutes=16))
    assert (
        world.call(
            "POST", "/v1/auth/login", body={"email": "new@example.mx", "password": PASSWORD}
        ).status_code
        == 200
    )


def test_logins_are_rate_limited_per_client() -> None:
    with running_world(login_attempts_per_minute=3) as world:
        codes = [
            world.call(
                "POST", "/v1/auth/login", body={"email": "a@example.mx", "password": PASSWORD}
            ).status_code
            for _ in range(4)
        ]
    assert codes == [401, 401, 401, 429]


def test_a_refresh_token_rotates_and_its_reuse_revokes_the_family(world: World) -> None:
    register(world)
    first = world.ok(
        "POST", "/v1/auth/login", body={"email": "new@example.mx", "password": PASSWORD}
    )
    second = world.ok("POST", "/v1/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"]
    reused = world.call("POST", "/v1/auth/refresh", body={"refresh_token": first["refresh_token"]})
    assert (reused.status_code, reused.json()["code"]) == (401, "auth.refresh_reused")
    revoked = world.call(
        "POST", "/v1/auth/refresh", body={"refresh_token": second["refresh_token"]}
    )
    assert revoked.status_code == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_a_bad_bearer_token_is_401(world: World, token: str) -> None:
    reply = world.call("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401
    assert reply.json()["code"] == "auth.unauthenticated"


def test_an_expired_or_foreign_access_token_is_401(world: World, payer: Person) -> None:
    old = AccessTokens(
        JWT_SECRET, timedelta(minutes=15), lambda: world.wall[0] - timedelta(minutes=16)
    )
    foreign = AccessTokens(
        "another-secret-0123456789abcdef0123456", timedelta(minutes=15), lambda: world.wall[0]
    )
    for token in (old.issue(payer.id, "user"), foreign.issue(payer.id, "admin")):
        assert (
            world.call("GET", "/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )


def test_the_payout_account_needs_a_valid_clabe(world: World, payer: Person) -> None:
    bad = world.call(
        "PUT", "/v1/me/payout-account", payer, {"clabe": "012180012345678900", "holder_name": "P"}
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "clabe")
    me = world.ok(
        "PUT", "/v1/me/payout-account", payer, {"clabe": "012180012345678909", "holder_name": "P"}
    )
    assert me["payout_account"] == {"clabe": "012180012345678909", "holder_name": "P"}
