"""auth_api end to end through functions-framework, on a migrated database and the state store.

Covers registration, login, refresh rotation, logout, /me, the voice PIN, lockout, token
tampering and expiry, and every kind of bad input.
"""

from __future__ import annotations

import base64
import json
import logging

import jwt
import pytest
from convonet.auth import users
from convonet.clock import FakeClock
from flask.testing import FlaskClient

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state")

PASSWORD = "correct horse battery"


@pytest.fixture
def client(function_client) -> FlaskClient:  # type: ignore[no-untyped-def]
    return function_client("auth_api")


def _register(client: FlaskClient, email: str = "ana@example.com", **extra: object) -> dict:
    body = {"email": email, "password": PASSWORD, "display_name": "Ana", **extra}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/login", json={"email": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return str(response.get_json()["error"]["code"])


def test_register_login_and_me(client: FlaskClient) -> None:
    tokens = _register(client, phone="(415) 555-0199")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800
    me = client.get("/api/auth/me", headers=_bearer(tokens["access_token"])).get_json()
    assert me["email"] == "ana@example.com"
    assert me["phone_e164"] == "+14155550199"
    assert me["roles"] == ["user"] and me["has_voice_pin"] is False
    login = _login(client, "ANA@example.com", PASSWORD)
    assert login.status_code == 200
    claims = jwt.decode(login.get_json()["access_token"], options={"verify_signature": False})
    assert claims["sub"] == me["id"] and claims["typ"] == "access"
    assert claims["roles"] == ["user"] and claims["team_ids"] == []


def test_duplicate_email_is_409(client: FlaskClient) -> None:
    _register(client)
    body = {"email": "ana@example.com", "password": PASSWORD, "display_name": "Other"}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 409
    assert _code(response) == "account_exists"


def test_register_with_idempotency_key_creates_one_account(client: FlaskClient) -> None:
    body = {"email": "ben@example.com", "password": PASSWORD, "display_name": "Ben"}
    key = {"Idempotency-Key": "signup-ben"}
    first = client.post("/api/auth/register", json=body, headers=key)
    second = client.post("/api/auth/register", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"


def test_unknown_user_and_wrong_password_look_the_same(client: FlaskClient) -> None:
    _register(client)
    wrong = _login(client, "ana@example.com", "not the password")
    unknown = _login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_lockout_after_failures_and_release_after_window(
    client: FlaskClient, configure, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    configure(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_WINDOW_S=60)
    _register(client)
    assert _login(client, "ana@example.com", "wrong-1").status_code == 401
    assert _login(client, "ana@example.com", "wrong-2").status_code == 401
    locked = _login(client, "ana@example.com", "wrong-3")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "60"
    still = _login(client, "ana@example.com", PASSWORD)
    assert still.status_code == 429, "the right password does not bypass a lockout"
    clock.advance(30)
    assert int(_login(client, "ana@example.com", PASSWORD).headers["Retry-After"]) == 30
    clock.advance(31)
    assert _login(client, "ana@example.com", PASSWORD).status_code == 200


def test_unknown_accounts_lock_too(client: FlaskClient, configure) -> None:  # type: ignore[no-untyped-def]
    configure(LOGIN_MAX_FAILURES=2)
    assert _login(client, "ghost@example.com", "x").status_code == 401
    assert _login(client, "ghost@example.com", "x").status_code == 429


def test_failures_within_window_only_count(
    client: FlaskClient, configure, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    configure(LOGIN_MAX_FAILURES=2, LOGIN_LOCKOUT_WINDOW_S=60)
    _register(client)
    assert _login(client, "ana@example.com", "wrong").status_code == 401
    clock.advance(61)
    assert _login(client, "ana@example.com", "wrong").status_code == 401
    assert _login(client, "ana@example.com", PASSWORD).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_family(client: FlaskClient) -> None:
    tokens = _register(client)
    rotated = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.get_json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert client.get("/api/auth/me", headers=_bearer(new["access_token"])).status_code == 200
    replay = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401
    after = client.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert after.status_code == 401, "a replayed refresh token revokes the tokens rotated from it"


def test_logout_revokes_refresh_token(client: FlaskClient) -> None:
    tokens = _register(client)
    assert (
        client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 204
    )
    response = client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


def test_access_token_cannot_refresh_and_refresh_token_cannot_authenticate(
    client: FlaskClient,
) -> None:
    tokens = _register(client)
    assert (
        client.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]}).status_code
        == 401
    )
    assert client.get("/api/auth/me", headers=_bearer(tokens["refresh_token"])).status_code == 401


def test_expired_access_token_is_refused(client: FlaskClient, clock: FakeClock) -> None:
    tokens = _register(client)
    clock.advance(1801)
    response = client.get("/api/auth/me", headers=_bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert _code(response) == "token_expired"


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_tampered_and_foreign_tokens_are_refused(client: FlaskClient) -> None:
    tokens = _register(client)
    sub = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    forged_claims = {"sub": sub, "typ": "access", "aud": "convonet", "exp": 4102444800, "jti": "x"}
    candidates = [
        _tamper_payload(tokens["access_token"]),
        tokens["access_token"][:-3]
        + ("AAA" if not tokens["access_token"].endswith("AAA") else "BBB"),
        jwt.encode(forged_claims, "some-other-secret", algorithm="HS256"),
        jwt.encode(forged_claims, None, algorithm="none"),
        "not-a-jwt",
    ]
    for token in candidates:
        response = client.get("/api/auth/me", headers=_bearer(token))
        assert response.status_code == 401, token
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": "Basic abc"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "ana@example.com"}, 422),
        ({"email": 42, "password": PASSWORD}, 422),
        ({"email": "ana@example.com", "password": ["x"]}, 422),
        ({"email": "not-an-email", "password": PASSWORD}, 422),
        ({"email": "ana@example.com", "password": PASSWORD, "role": "admin"}, 422),
    ],
)
def test_bad_login_bodies(client: FlaskClient, body: dict, status: int) -> None:
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_malformed_wrong_type_and_oversized_bodies(client: FlaskClient) -> None:
    bad_json = client.post("/api/auth/login", data="{", content_type="application/json")
    assert bad_json.status_code == 400
    form = client.post("/api/auth/login", data={"email": "a@b.c"})
    assert form.status_code == 415
    huge = {"email": "ana@example.com", "password": "x" * 70000}
    assert client.post("/api/auth/login", json=huge).status_code == 413
    weak = {"email": "c@example.com", "password": "short", "display_name": "C"}
    assert client.post("/api/auth/register", json=weak).status_code == 422
    bad_phone = {
        "email": "d@example.com",
        "password": PASSWORD,
        "display_name": "D",
        "phone": "abc",
    }
    assert client.post("/api/auth/register", json=bad_phone).status_code == 422


def test_set_voice_pin(client: FlaskClient) -> None:
    ana = _register(client)
    headers = _bearer(ana["access_token"])
    wrong = client.put("/api/auth/pin", json={"password": "nope", "pin": "4321"}, headers=headers)
    assert wrong.status_code == 401
    ok = client.put("/api/auth/pin", json={"password": PASSWORD, "pin": "4321"}, headers=headers)
    assert ok.status_code == 204
    me = client.get("/api/auth/me", headers=headers).get_json()
    assert me["has_voice_pin"] is True
    assert users.user_for_pin("4321") == me["id"]
    assert users.user_for_pin("9999") is None
    for pin in ("12", "123456789", "12a4"):
        bad = client.put("/api/auth/pin", json={"password": PASSWORD, "pin": pin}, headers=headers)
        assert bad.status_code == 422
    assert (
        client.put("/api/auth/pin", json={"password": PASSWORD, "pin": "4321"}).status_code == 401
    )


def test_voice_pins_are_unique(client: FlaskClient) -> None:
    ana = _register(client)
    ben = _register(client, "ben@example.com")
    body = {"password": PASSWORD, "pin": "5555"}
    assert (
        client.put("/api/auth/pin", json=body, headers=_bearer(ana["access_token"])).status_code
        == 204
    )
    taken = client.put("/api/auth/pin", json=body, headers=_bearer(ben["access_token"]))
    assert taken.status_code == 409
    assert "5555" not in taken.get_data(as_text=True)


def test_pin_is_stored_hashed(client: FlaskClient) -> None:
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    ana = _register(client)
    client.put(
        "/api/auth/pin",
        json={"password": PASSWORD, "pin": "8642"},
        headers=_bearer(ana["access_token"]),
    )
    with session_scope() as session:
        user = session.query(User).filter_by(email="ana@example.com").one()
        assert user.voice_pin_hash and "8642" not in user.voice_pin_hash
        assert len(user.voice_pin_hash) == 64
        assert PASSWORD not in user.password_hash


def test_secrets_never_reach_the_logs(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = _register(client)
    _login(client, "ana@example.com", "my-wrong-password")
    client.get("/api/auth/me", headers=_bearer(tokens["access_token"]))
    assert PASSWORD not in caplog.text
    assert "my-wrong-password" not in caplog.text
    assert tokens["access_token"] not in caplog.text
