"""auth_api: accounts and tokens at /api/auth (register, login, refresh, logout, me, PIN)."""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from typing import Annotated

    import flask
    import functions_framework
    from convonet.auth import users
    from convonet.auth.guard import require_auth
    from convonet.http import ApiError, ApiRequest, ApiResult, HttpApi
    from convonet.observability import start_component
    from convonet.phone import InvalidPhoneNumber, normalize_e164
    from pydantic import AfterValidator, BaseModel, ConfigDict, Field

start_component("auth_api")

api = HttpApi(
    "auth_api",
    title="Convonet auth",
    prefixes=("/api/auth",),
    description="Accounts, JWT access/refresh tokens and the voice PIN.",
)


def _email(value: str) -> str:
    value = value.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value:
        raise ValueError("not a valid email address")
    return value


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_e164(value)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=8, max_length=128)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RegisterRequest(_Strict):
    email: Email
    password: Password
    display_name: Annotated[str, Field(min_length=1, max_length=120)]
    phone: Annotated[str | None, Field(max_length=32), AfterValidator(_phone)] = None


class LoginRequest(_Strict):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=128)]


class RefreshRequest(_Strict):
    refresh_token: Annotated[str, Field(min_length=1, max_length=4096)]


class PinRequest(_Strict):
    password: Annotated[str, Field(min_length=1, max_length=128)]
    pin: Annotated[str, Field(pattern=r"^\d{4,8}$")]


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    refresh_expires_in: int


class ProfileResponse(BaseModel):
    id: str
    email: str
    display_name: str
    phone_e164: str | None
    roles: list[str]
    team_ids: list[str]
    has_voice_pin: bool
    agent_extension: str | None
    locale: str


_STATUS = {"invalid": 422, "unauthorized": 401, "conflict": 409, "locked": 429, "not_found": 404}


def _api_error(exc: users.AccountError) -> ApiError:
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.kind == "locked" else None
    details = {"retry_after_s": exc.retry_after_s} if exc.kind == "locked" else None
    return ApiError(_STATUS[exc.kind], exc.code, exc.message, details=details, headers=headers)


def _tokens(pair: users.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )


@api.post("/register", body=RegisterRequest, response=TokenResponse, status=201, idempotent=True)
def register(req: ApiRequest) -> TokenResponse:
    """Create an account (role user) and sign it in."""
    body: RegisterRequest = req.body
    try:
        return _tokens(users.register(body.email, body.password, body.display_name, body.phone))
    except users.AccountError as exc:
        raise _api_error(exc) from None


@api.post("/login", body=LoginRequest, response=TokenResponse)
def login(req: ApiRequest) -> TokenResponse:
    """Exchange email and password for an access and a refresh token."""
    body: LoginRequest = req.body
    try:
        return _tokens(users.login(body.email, body.password))
    except users.AccountError as exc:
        raise _api_error(exc) from None


@api.post("/refresh", body=RefreshRequest, response=TokenResponse)
def refresh(req: ApiRequest) -> TokenResponse:
    """Rotate a refresh token into a new pair; a reused refresh token revokes its family."""
    try:
        return _tokens(users.refresh(req.body.refresh_token))
    except users.AccountError as exc:
        raise _api_error(exc) from None


@api.post("/logout", body=RefreshRequest, status=204)
def logout(req: ApiRequest) -> None:
    """Revoke the refresh token (and every token rotated from it)."""
    users.logout(req.body.refresh_token)


@api.get("/me", response=ProfileResponse, auth=True)
def me(req: ApiRequest) -> ProfileResponse:
    """The signed-in user's profile."""
    principal = require_auth(req)
    try:
        p = users.profile(principal.user_id)
    except users.AccountError as exc:
        raise _api_error(exc) from None
    return ProfileResponse(
        id=p.id,
        email=p.email,
        display_name=p.display_name,
        phone_e164=p.phone_e164,
        roles=list(p.roles),
        team_ids=list(p.team_ids),
        has_voice_pin=p.has_voice_pin,
        agent_extension=p.agent_extension,
        locale=p.locale,
    )


@api.put("/pin", body=PinRequest, status=204, auth=True)
def set_pin(req: ApiRequest) -> ApiResult | None:
    """Set or change the voice PIN (4-8 digits), confirmed with the password."""
    principal = require_auth(req)
    try:
        users.set_voice_pin(principal.user_id, req.body.password, req.body.pin)
    except users.AccountError as exc:
        raise _api_error(exc) from None
    return None


@functions_framework.http
def auth_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
