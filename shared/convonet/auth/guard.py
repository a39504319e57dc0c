"""`require_auth`: every function's way to learn who is calling, from a verified credential only.

The token module (PyJWT, the settings) loads on the first call that carries a token, not with
this one: light functions whose public routes take no token (reservations' guests) never
pay for it in their cold start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from convonet.http.api import ApiRequest
from convonet.http.errors import ApiError, forbidden, unauthorized


@dataclass(frozen=True)
class Principal:
    """The caller: a user acting directly, or a trusted service acting for a user it verified."""

    user_id: str
    roles: frozenset[str]
    team_ids: tuple[str, ...]
    via: Literal["user", "service"]
    service: str | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


def require_auth(
    request: ApiRequest,
    *,
    roles: Iterable[str] = (),
    allow_service: bool = False,
) -> Principal:
    """The verified caller, or 401 (no/invalid token) / 403 (lacks every one of `roles`).

    With `allow_service`, an internal service token (aud convonet-internal) is accepted and
    its `act` claim names the user; the user's roles then come from the database, never from
    anything the service or the request body says.
    """
    token = request.bearer_token()
    if token is None:
        raise unauthorized()
    principal = _user_principal(token) or (_service_principal(token) if allow_service else None)
    if principal is None:
        raise unauthorized("The token is invalid or has expired.", "invalid_token")
    required = tuple(roles)
    if required and not principal.has_role(*required):
        raise forbidden(f"This needs one of the roles: {', '.join(required)}.")
    return principal


def _user_principal(token: str) -> Principal | None:
    from convonet.auth.tokens import TokenError, decode_user_token

    try:
        claims = decode_user_token(token, "access")
    except TokenError as exc:
        if exc.code == "token_expired":
            raise ApiError(401, "token_expired", "The token has expired; refresh it.") from None
        return None
    return Principal(claims.sub, frozenset(claims.roles), claims.team_ids, "user")


def _service_principal(token: str) -> Principal | None:
    from convonet.auth.tokens import TokenError, decode_service_token

    try:
        claims = decode_service_token(token)
    except TokenError:
        return None
    from convonet.auth.users import load_identity

    identity = load_identity(claims.act)
    if identity is None:
        return None
    roles, team_ids = identity
    return Principal(claims.act, frozenset(roles), team_ids, "service", claims.caller)
