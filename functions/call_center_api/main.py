"""call_center_api: the human agents' side at /call-center/api.

Agents (JWT role `agent`) log in, go ready / not ready, record what their softphone sees
(ringing, answer, drop, hold, unhold, transfer), wrap up, read their metrics, fetch short-lived
SIP and TURN credentials, and open the pop-up of the customer on the line. Illegal state
changes answer 409 and change nothing. Supervisors read every agent. Light: StateStore and SQL.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from datetime import UTC, date, timedelta
    from typing import Annotated, Any, Literal, cast

    import flask
    import functions_framework
    from convonet.auth.guard import Principal, require_auth
    from convonet.callcenter import agents, credentials, customer, metrics
    from convonet.clock import get_clock
    from convonet.config import get_settings
    from convonet.db.engine import read, session_scope
    from convonet.db.models import User
    from convonet.http import ApiError, ApiRequest, HttpApi
    from convonet.observability import start_component
    from convonet.phone import InvalidPhoneNumber, normalize_e164
    from pydantic import BaseModel, ConfigDict, Field, model_validator
    from sqlalchemy.orm import Session

start_component("call_center_api")

api = HttpApi(
    "call_center_api",
    title="Convonet call center",
    prefixes=("/call-center/api",),
    description="Agent states, call events, metrics, softphone credentials, customer pop-up.",
)

AGENT = ("agent",)
SUPERVISOR = ("supervisor",)
READERS = ("agent", "supervisor")
MAX_METRIC_DAYS = 31
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.:@+-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_Strict):
    department: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class NotReadyRequest(_Strict):
    reason: Text | None = None


class CallEventRequest(_Strict):
    call_id: Id
    call_sid: Id | None = None
    transfer_id: Id | None = None
    caller: Annotated[str, Field(max_length=64)] | None = None
    target: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    mode: agents.TransferMode | None = None


class AgentQuery(_Strict):
    agent: Id | None = None


class MetricsQuery(AgentQuery):
    since: date | None = Field(default=None, alias="from")
    until: date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> MetricsQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError("from must not be after to")
        return self


class CustomerQuery(_Strict):
    transfer_id: Id | None = None
    call_sid: Id | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None

    @model_validator(mode="after")
    def _one_key(self) -> CustomerQuery:
        given = [v for v in (self.transfer_id, self.call_sid, self.phone) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of transfer_id, call_sid or phone")
        return self


class CallState(BaseModel):
    call_id: str | None
    call_sid: str | None
    transfer_id: str | None
    caller: str | None
    status: str | None
    outcome: str | None = None
    ringing_at: Any = None
    answered_at: Any = None
    ended_at: Any = None
    hold_s: float | None = None


class AgentStatus(BaseModel):
    user_id: str
    name: str | None
    extension: str | None
    department: str | None
    state: Literal["logged_out", "ready", "not_ready", "on_call", "wrap_up"]
    state_since: Any
    time_in_state_s: float | None
    not_ready_reason: str | None = None
    call: CallState | None


class AgentList(BaseModel):
    agents: list[AgentStatus]


# Agent state ------------------------------------------------------------------------------


@api.get("/agent/status", query=AgentQuery, response=AgentStatus, auth=True)
def status(req: ApiRequest) -> dict[str, Any]:
    """The agent's state and current call (supervisors: any agent with `agent=`)."""
    return agents.status(_subject(req))


@api.post("/agent/login", body=LoginRequest, response=AgentStatus, auth=True, idempotent=True)
def login(req: ApiRequest) -> dict[str, Any]:
    """Log in at the extension assigned to the account; the agent starts not ready."""
    principal = require_auth(req, roles=AGENT)
    return agents.login(_identity(principal, req.body.department))


@api.post("/agent/logout", response=AgentStatus, auth=True, idempotent=True)
def logout(req: ApiRequest) -> dict[str, Any]:
    """Log out (not while on a call)."""
    return agents.logout(require_auth(req, roles=AGENT).user_id)


@api.post("/agent/ready", response=AgentStatus, auth=True, idempotent=True)
def ready(req: ApiRequest) -> dict[str, Any]:
    """Take calls: from not ready or wrap-up."""
    return agents.set_ready(require_auth(req, roles=AGENT).user_id)


@api.post(
    "/agent/not-ready", body=NotReadyRequest, response=AgentStatus, auth=True, idempotent=True
)
def not_ready(req: ApiRequest) -> dict[str, Any]:
    """Stop taking calls (break, training...): from ready or wrap-up."""
    principal = require_auth(req, roles=AGENT)
    return agents.set_not_ready(principal.user_id, req.body.reason)


@api.post("/agent/wrap-up", response=AgentStatus, auth=True, idempotent=True)
def wrap_up(req: ApiRequest) -> dict[str, Any]:
    """End the current call and start wrap-up (only while on a call)."""
    return agents.wrap_up(require_auth(req, roles=AGENT).user_id)


@api.post("/call/{event}", body=CallEventRequest, response=AgentStatus, auth=True, idempotent=True)
def call_event(req: ApiRequest) -> dict[str, Any]:
    """Record a softphone event: ringing, answer, drop, hold, unhold or transfer."""
    principal = require_auth(req, roles=AGENT)
    kind = req.path_params["event"]
    if kind not in ("ringing", "answer", "drop", "hold", "unhold", "transfer"):
        raise ApiError(404, "not_found", f"No call event {kind[:40]!r}.")
    body: CallEventRequest = req.body
    if kind == "transfer" and not body.target:
        raise ApiError(422, "validation_error", "A transfer needs a target.")
    event = agents.CallEvent(
        type=cast(agents.CallEventType, kind),
        call_id=body.call_id,
        call_sid=body.call_sid,
        transfer_id=body.transfer_id,
        caller=body.caller,
        target=body.target,
        mode=body.mode or ("blind" if kind == "transfer" else None),
    )
    return agents.call_event(principal.user_id, event)


@api.get("/agents", response=AgentList, auth=True)
def list_agents(req: ApiRequest) -> AgentList:
    """Every agent's state (supervisors)."""
    require_auth(req, roles=SUPERVISOR)
    return AgentList.model_validate({"agents": agents.list_agents()})


@api.get("/agent/metrics", query=MetricsQuery, auth=True)
def agent_metrics(req: ApiRequest) -> dict[str, Any]:
    """Calls handled, average handle time and availability over UTC days (default today)."""
    user_id = _subject(req)
    query: MetricsQuery = req.query
    today = get_clock().now().astimezone(UTC).date()
    until = query.until or today
    since = query.since or until
    if (until - since) >= timedelta(days=MAX_METRIC_DAYS):
        raise ApiError(422, "window_too_large", "Metrics cover at most 31 days.")
    current = agents.get_agent_document(user_id)
    return {"user_id": user_id, **metrics.agent_metrics(user_id, since, until, current)}


# Softphone and customer -------------------------------------------------------------------


@api.get("/sip", auth=True)
def sip(req: ApiRequest) -> dict[str, Any]:
    """SIP registration (short-lived password) and TURN credentials for the softphone."""
    identity = _identity(require_auth(req, roles=AGENT), None)
    return credentials.softphone_settings(identity.extension, identity.name)


@api.get("/customer", query=CustomerQuery, auth=True)
def customer_popup(req: ApiRequest) -> dict[str, Any]:
    """The caller's pop-up by transfer id, call SID or phone."""
    require_auth(req, roles=READERS)
    query: CustomerQuery = req.query

    def popup(session: Session) -> dict[str, Any]:
        if query.transfer_id:
            return customer.customer_by_transfer(session, query.transfer_id)
        if query.call_sid:
            return customer.customer_by_call_sid(session, query.call_sid)
        return customer.customer_by_phone(session, _phone(query.phone or ""))

    return read(popup)


# Helpers ----------------------------------------------------------------------------------


def _subject(req: ApiRequest) -> str:
    """Whose state to read: the caller, or (supervisors only) the agent named in the query."""
    principal = require_auth(req, roles=READERS)
    asked = req.query.agent if req.query is not None else None
    if asked and asked != principal.user_id:
        if not principal.has_role(*SUPERVISOR):
            raise ApiError(403, "forbidden", "Only supervisors read other agents.")
        return str(asked)
    return principal.user_id


def _identity(principal: Principal, department: str | None) -> agents.AgentIdentity:
    with session_scope() as session:
        user = session.get(User, principal.user_id)
        if user is None or not user.is_active:
            raise ApiError(401, "invalid_token", "The account no longer exists.")
        if not user.agent_extension:
            raise ApiError(409, "no_extension", "No extension is assigned to this account.")
        name, extension = user.display_name, user.agent_extension
    departments = {d.lower(): ext for d, ext in get_settings().transfer_extensions.items()}
    if department is None:
        department = next((d for d, ext in departments.items() if ext == extension), "support")
    elif department.lower() not in departments:
        known = ", ".join(sorted(departments)) or "support"
        raise ApiError(422, "unknown_department", f"Departments: {known}.")
    return agents.AgentIdentity(principal.user_id, name, extension, department.lower())


def _phone(value: str) -> str:
    try:
        return normalize_e164(value)
    except InvalidPhoneNumber:
        raise ApiError(422, "invalid_phone", "The phone number is not valid.") from None


@functions_framework.http
def call_center_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
