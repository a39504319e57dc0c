"""Twilio request signatures, checked against the public URL Twilio actually called.

Behind the load balancer (or the dev server) `request.url` is the internal address, not the
one Twilio signed, so the URL is rebuilt from `PUBLIC_BASE_URL` plus the path and query. In
dev, with no `PUBLIC_BASE_URL`, that is the dev server's own URL on `PORT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request

from convonet.config import get_settings

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_base_url() -> str:
    settings = get_settings()
    return (settings.public_base_url or f"http://127.0.0.1:{settings.port}").rstrip("/")


def public_url(path: str, query_string: str = "") -> str:
    """The URL Twilio requested: public base, then the path and the raw query, if any."""
    url = public_base_url() + path
    return f"{url}?{query_string}" if query_string else url


def is_valid_signature(url: str, params: Mapping[str, Any], signature: str) -> bool:
    """`params` may be a plain dict or a MultiDict (repeated keys are all signed)."""
    from twilio.request_validator import RequestValidator

    if not signature:
        return False
    validator = RequestValidator(get_settings().secret("twilio_auth_token"))
    return bool(validator.validate(url, params, signature))


def is_signed_by_twilio(request: Request) -> bool:
    """True when a form-encoded webhook request carries Twilio's valid signature."""
    url = public_url(request.path, request.query_string.decode("latin-1"))
    is_form = request.mimetype == "application/x-www-form-urlencoded"
    params: Mapping[str, Any] = request.form if is_form else {}
    return is_valid_signature(url, params, request.headers.get(SIGNATURE_HEADER, ""))
