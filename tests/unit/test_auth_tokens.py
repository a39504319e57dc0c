"""Token rules of ARCHITECTURE §10: user tokens and the internal service token."""

from __future__ import annotations

import jwt
import pytest
from convonet.auth import pins
from convonet.auth.passwords import hash_password, verify_password
from convonet.auth.tokens import (
    TokenError,
    decode_service_token,
    decode_user_token,
    issue_service_token,
    issue_user_token,
)
from convonet.clock import FakeClock


def test_user_token_claims(clock: FakeClock) -> None:
    issued = issue_user_token("u1", ["user", "staff"], ["t1"], "access")
    claims = decode_user_token(issued.token, "access")
    assert (claims.sub, claims.roles, claims.team_ids, claims.typ) == (
        "u1",
        ("user", "staff"),
        ("t1",),
        "access",
    )
    raw = jwt.decode(issued.token, options={"verify_signature": False})
    assert raw["exp"] - raw["iat"] == 1800


def test_service_token_names_the_user_and_lives_60_seconds(clock: FakeClock) -> None:
    token = issue_service_token("user-7", "voice_gateway")
    claims = decode_service_token(token)
    assert claims.act == "user-7" and claims.caller == "voice_gateway"
    raw = jwt.decode(token, options={"verify_signature": False})
    assert raw["aud"] == "convonet-internal"
    clock.advance(61)
    with pytest.raises(TokenError) as info:
        decode_service_token(token)
    assert info.value.code == "token_expired"


def test_user_and_service_tokens_are_not_interchangeable(clock: FakeClock) -> None:
    access = issue_user_token("u1", ["user"], [], "access").token
    service = issue_service_token("u1", "twilio_webhook")
    with pytest.raises(TokenError):
        decode_service_token(access)
    with pytest.raises(TokenError):
        decode_user_token(service, "access")


def test_service_token_signed_with_user_secret_is_refused(clock: FakeClock, settings) -> None:  # type: ignore[no-untyped-def]
    forged = jwt.encode(
        {"aud": "convonet-internal", "act": "u1", "exp": 4102444800},
        settings.secret("jwt_secret"),
        algorithm="HS256",
    )
    with pytest.raises(TokenError):
        decode_service_token(forged)


def test_passwords_and_pins() -> None:
    stored = hash_password("a long passphrase")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long passphrase")
    assert not verify_password(stored, "wrong")
    assert not verify_password("garbage", "x")
    digest = pins.pin_digest("2468", "k1")
    assert pins.pin_matches("2468", digest, "k1")
    assert not pins.pin_matches("2468", digest, "k2")
    assert (
        pins.is_valid_pin("2468") and not pins.is_valid_pin("246") and not pins.is_valid_pin("24a8")
    )
