"""Our HS256 codec issues PyJWT's exact tokens and refuses what PyJWT refuses."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from convonet.auth import hs256

SECRET = "a-test-secret-long-enough-for-every-hmac-" * 2
NOW = 1_800_000_000
CLAIMS = {"iss": "convonet", "aud": "convonet", "sub": "u1", "jti": "j1", "exp": NOW + 60}


def _decode(token: str, **kw: object) -> dict[str, object]:
    options = {"secret": SECRET, "audience": "convonet", "now": NOW, "required": ["exp"]}
    options.update(kw)
    return hs256.decode(token, **options)  # type: ignore[arg-type]


def _segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_tokens_are_byte_for_byte_pyjwt_tokens_and_read_both_ways() -> None:
    token = hs256.encode(CLAIMS, SECRET)
    assert token == jwt.encode(CLAIMS, SECRET, algorithm="HS256")
    assert _decode(token) == CLAIMS
    other = jwt.encode({**CLAIMS, "aud": ["x", "convonet"]}, SECRET, algorithm="HS256")
    assert _decode(other)["aud"] == ["x", "convonet"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        hs256.encode(CLAIMS, "another-secret-entirely"),
        hs256.encode(CLAIMS, SECRET)[:-2] + "AA",
        hs256.encode(CLAIMS, SECRET) + "!",
        jwt.encode(CLAIMS, SECRET, algorithm="HS512"),
        jwt.encode(CLAIMS, None, algorithm="none"),
        f"{_segment({'alg': 'HS256', 'crit': ['b64'], 'b64': False})}.e30.AA",
        hs256.encode({**CLAIMS, "exp": None}, SECRET),
        hs256.encode({**CLAIMS, "nbf": NOW + 5}, SECRET),
        hs256.encode({**CLAIMS, "sub": 7}, SECRET),
        hs256.encode({k: v for k, v in CLAIMS.items() if k != "aud"}, SECRET),
    ],
)
def test_refused(token: str) -> None:
    with pytest.raises(hs256.InvalidToken):
        _decode(token)


@pytest.mark.parametrize("audience", ["convonet-internal", ["other"], [1, "convonet"], 5])
def test_another_audience_is_its_own_refusal(audience: object) -> None:
    with pytest.raises(hs256.WrongAudience):
        _decode(hs256.encode({**CLAIMS, "aud": audience}, SECRET))


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    header = hs256.encode(CLAIMS, SECRET).split(".")[0]
    payload = base64.urlsafe_b64encode(b"[1]").rstrip(b"=").decode()
    with pytest.raises(hs256.InvalidToken):
        _decode(f"{header}.{payload}.AA")
