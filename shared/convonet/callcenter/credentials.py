"""Short-lived softphone credentials: SIP registration and TURN relays, never stored anywhere.

Both use the TURN REST scheme (draft-uberti-behave-turn-rest, coturn `use-auth-secret`): the
username is `<expiry unix time>:<extension>` and the password is
base64(HMAC-SHA1(secret, username)). The TURN server (TURN_SECRET) and the SIP registrar
(SIP_SECRET; Kamailio's `auth_ephemeral` module checks exactly this) share the secret with us,
recompute the password and refuse it after the expiry, so a leaked password dies on its own
and no per-agent SIP password exists to leak.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from convonet.clock import get_clock
from convonet.config import DEV_SIP_SECRET, get_settings
from convonet.domain.errors import Unavailable


@dataclass(frozen=True)
class EphemeralCredential:
    username: str
    password: str
    expires_at: datetime


def ephemeral_credential(secret: str, user: str, ttl_s: int) -> EphemeralCredential:
    expires_at = get_clock().now().replace(microsecond=0) + timedelta(seconds=ttl_s)
    username = f"{int(expires_at.timestamp())}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return EphemeralCredential(username, base64.b64encode(digest).decode(), expires_at)


def softphone_settings(extension: str, display_name: str) -> dict[str, Any]:
    """What the JsSIP softphone needs to register as `extension`, with ICE servers."""
    settings = get_settings()
    secret = settings.secret("sip_secret")
    if settings.is_prod and secret == DEV_SIP_SECRET:
        raise Unavailable("The softphone is not configured (SIP_SECRET).", "sip_not_configured")
    sip = ephemeral_credential(secret, extension, settings.sip_credential_ttl_s)
    turn = _turn(extension)
    return {
        "sip": {
            "uri": f"sip:{extension}@{settings.fusionpbx_sip_domain}",
            "ws_url": settings.sip_ws_url,
            "authorization_user": sip.username,
            "password": sip.password,
            "display_name": display_name,
            "expires_at": sip.expires_at,
        },
        "turn": turn,
        "ice_servers": _ice_servers(turn),
    }


def _turn(extension: str) -> dict[str, Any] | None:
    settings = get_settings()
    relays = [url for url in settings.turn_urls if url.startswith(("turn:", "turns:"))]
    secret = settings.secret("turn_secret")
    if not relays or not secret:
        return None
    credential = ephemeral_credential(secret, extension, settings.turn_credential_ttl_s)
    return {
        "urls": relays,
        "username": credential.username,
        "credential": credential.password,
        "ttl_s": settings.turn_credential_ttl_s,
        "expires_at": credential.expires_at,
    }


def _ice_servers(turn: dict[str, Any] | None) -> list[dict[str, Any]]:
    """RTCIceServer entries: STUN URLs as they are, TURN URLs only with credentials."""
    stun = [url for url in get_settings().turn_urls if url.startswith(("stun:", "stuns:"))]
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    if turn is not None:
        servers.append(
            {"urls": turn["urls"], "username": turn["username"], "credential": turn["credential"]}
        )
    return servers
