"""PyJWT for our tokens, which are all HMAC (HS256): `from convonet.auth.hmac_jwt import jwt`.

When `cryptography` is installed, PyJWT imports its RSA, EC, EdDSA and x509 modules as it
loads, to offer the asymmetric algorithms: some 25-45 ms of every light function's cold
start, for algorithms we never accept. PyJWT treats `cryptography` as optional, so it is
hidden while PyJWT loads and PyJWT offers HMAC alone (asymmetric tokens are refused, as our
`algorithms=["HS256"]` refuses them anyway). The mask is lifted at once: any other library
still imports `cryptography` as usual. Some modules import this one lazily, on a request
thread, so the mask is set and lifted under the interpreter's import lock (CPython's `_imp`,
what `imp.acquire_lock` was): another thread's imports wait out the moment instead of finding
`cryptography` missing. If PyJWT or `cryptography` is already loaded, nothing is hidden.
"""

from __future__ import annotations

import _imp
import sys

_HIDDEN = "cryptography"

_imp.acquire_lock()
try:
    _hide = "jwt" not in sys.modules and _HIDDEN not in sys.modules
    if _hide:
        sys.modules[_HIDDEN] = None  # type: ignore[assignment]
    try:
        import jwt
    finally:
        if _hide:
            del sys.modules[_HIDDEN]
finally:
    _imp.release_lock()

__all__ = ["jwt"]
