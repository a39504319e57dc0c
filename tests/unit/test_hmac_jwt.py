"""convonet.auth.hmac_jwt: PyJWT without its asymmetric algorithms, and nothing else changed.

Each case runs in a fresh interpreter, since what it checks is what importing does.
"""

from __future__ import annotations

import subprocess
import sys

_SIGN_AND_CHECK = """
import sys
{before}
from convonet.auth.hmac_jwt import jwt
token = jwt.encode({{"sub": "u1"}}, "k" * 32, algorithm="HS256")
assert jwt.decode(token, "k" * 32, algorithms=["HS256"]) == {{"sub": "u1"}}
print(jwt.algorithms.has_crypto, "cryptography" in sys.modules)
import cryptography.fernet
print(cryptography.fernet.Fernet.__name__)
"""


def _run(before: str) -> list[str]:
    script = _SIGN_AND_CHECK.format(before=before)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


def test_pyjwt_loads_for_hmac_alone_and_cryptography_stays_importable() -> None:
    assert _run("") == ["False", "False", "Fernet"]


def test_nothing_is_hidden_when_cryptography_is_already_loaded() -> None:
    assert _run("import cryptography") == ["True", "True", "Fernet"]


def test_an_asymmetric_token_is_refused() -> None:
    script = """
from convonet.auth.hmac_jwt import jwt
header = jwt.utils.base64url_encode(b'{"alg":"RS256","typ":"JWT"}').decode()
body = jwt.utils.base64url_encode(b'{"sub":"u1"}').decode()
try:
    jwt.decode(f"{header}.{body}.c2ln", "k" * 32, algorithms=["RS256"])
except jwt.InvalidAlgorithmError as error:
    print("refused", error)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.startswith("refused")
