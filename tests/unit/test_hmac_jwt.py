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


_RACE = """
import sys, threading
outcome = []
started = threading.Event()

def other_thread():
    started.set()
    try:
        import cryptography.fernet
        outcome.append("imported")
    except ImportError as error:
        outcome.append(f"failed: {error}")

class WhileMasked:
    # Runs inside PyJWT's import, while `cryptography` is hidden: another thread imports it.
    def find_spec(self, name, path=None, target=None):
        if name == "jwt.algorithms" and not started.is_set():
            threading.Thread(target=other_thread).start()
            started.wait()
            threading.Event().wait(0.5)  # time for it to finish, if nothing holds it back
        return None

sys.meta_path.insert(0, WhileMasked())
from convonet.auth.hmac_jwt import jwt
while not outcome:
    threading.Event().wait(0.01)
print(jwt.algorithms.has_crypto, outcome[0])
"""


def test_another_thread_importing_cryptography_meanwhile_waits_and_succeeds() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _RACE], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "imported"]


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
