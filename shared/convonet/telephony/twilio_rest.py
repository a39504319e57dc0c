"""Twilio's REST API (Messages, Calls) through the official `twilio` client.

TWILIO_API_BASE_URL, when set, sends every request to that base instead of
`https://api.twilio.com` (a regional proxy, or the tests' loopback server), keeping Twilio's
paths, auth and form bodies exactly as the client builds them. Failures become
`TwilioSendError`, which says whether trying again can help (429, 5xx, network) or not
(invalid or unsubscribed number).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

from convonet.config import get_settings

UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient": they replied STOP


class TwilioNotConfigured(RuntimeError):
    """No TWILIO_ACCOUNT_SID / TWILIO_FROM_NUMBER: nothing can be sent."""


class TwilioSendError(RuntimeError):
    def __init__(self, message: str, *, code: int | None, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


def is_configured() -> bool:
    settings = get_settings()
    return bool(settings.twilio_account_sid and settings.twilio_from_number)


def send_sms(to: str, body: str) -> str:
    """Send one SMS from TWILIO_FROM_NUMBER; returns the message SID."""
    return _create("messages", to=to, body=body)


def place_call(to: str, twiml: str) -> str:
    """Call `to` and play inline TwiML when they answer; returns the call SID."""
    return _create("calls", to=to, twiml=twiml)


def _create(resource: str, **fields: str) -> str:
    from twilio.base.exceptions import TwilioException, TwilioRestException

    client = _client()
    sender = get_settings().twilio_from_number
    try:
        created: Any = getattr(client.api.v2010.account, resource).create(from_=sender, **fields)
    except TwilioRestException as exc:
        retryable = exc.status == 429 or exc.status >= 500
        raise TwilioSendError(
            f"Twilio {resource}: {exc.status} {exc.code}: {exc.msg}",
            code=exc.code,
            retryable=retryable,
        ) from None
    except (TwilioException, OSError) as exc:
        raise TwilioSendError(f"Twilio {resource}: {exc}", code=None, retryable=True) from None
    return str(created.sid)


_clients: dict[tuple[str, str, str, float], Any] = {}
_lock = threading.Lock()


def _client() -> Any:
    """One client (and HTTP connection pool) per account and endpoint."""
    from twilio.rest import Client

    settings = get_settings()
    if not is_configured():
        raise TwilioNotConfigured("TWILIO_ACCOUNT_SID and TWILIO_FROM_NUMBER are not set")
    key = (
        str(settings.twilio_account_sid),
        settings.secret("twilio_auth_token"),
        settings.twilio_api_base_url or "",
        settings.twilio_api_timeout_s,
    )
    with _lock:
        if key not in _clients:
            _clients[key] = Client(key[0], key[1], http_client=_http_client(key[2], key[3]))
        return _clients[key]


def _http_client(base_url: str, timeout_s: float) -> Any:
    from twilio.http.http_client import TwilioHttpClient

    class BaseUrlHttpClient(TwilioHttpClient):
        """Keeps Twilio's path and query, swaps the scheme and host for TWILIO_API_BASE_URL."""

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if base_url:
                parts = urlsplit(url)
                url = base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
            return super().request(method, url, *args, **kwargs)

    return BaseUrlHttpClient(timeout=timeout_s)
