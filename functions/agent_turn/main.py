"""agent_turn: one assistant turn at POST /agent/process (JSON, or server-sent events with
`Accept: text/event-stream`) and barge-in trimming at POST /agent/heard.

The caller is a user (JWT) or a Convonet service acting for a user it verified (the internal
service token); the user is never taken from the body. For a service, the caller's phone comes
from the token's signed `phone` claim and their name from their account, so tools know both.
A request with an `Idempotency-Key` is answered as JSON and replayed on repeat, so a retried
turn runs once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import flask
import functions_framework
from convonet.agent.turn import TurnEvent, TurnRequest, get_runner
from convonet.auth.guard import Principal, require_auth
from convonet.auth.tokens import decode_service_token
from convonet.auth.users import profile
from convonet.http import ApiRequest, HttpApi
from convonet.http.api import to_response
from convonet.http.idempotency import run_idempotent
from convonet.observability import start_component
from pydantic import BaseModel, ConfigDict, Field, field_validator

start_component("agent_turn")
log = logging.getLogger(__name__)

api = HttpApi(
    "agent_turn",
    title="Convonet agent turn",
    prefixes=("/agent",),
    description="One assistant turn over the domain agents and tools; barge-in trimming.",
)

SessionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
_METADATA_MAX_CHARS = 2000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProcessRequest(_Strict):
    prompt: Annotated[str, Field(min_length=1, max_length=4000)]
    session_id: SessionId | None = None
    provider: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")] | None = None
    reset_thread: bool = False
    channel: Literal["web", "voice", "phone", "api"] = "api"
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _spoken(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt is empty")
        return value.strip()

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > _METADATA_MAX_CHARS:
            raise ValueError(f"metadata is larger than {_METADATA_MAX_CHARS} characters")
        return value


class ToolCallView(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: Any = None
    status: Literal["success", "failed", "timeout"]
    duration_ms: float


class TransferView(BaseModel):
    department: str
    extension: str
    reason: str


class TurnResponse(BaseModel):
    response: str
    session_id: str
    agent: str
    provider: str
    model: str
    tool_calls: list[ToolCallView]
    transfer: TransferView | None
    timings: dict[str, float]
    interaction_id: str


class HeardRequest(_Strict):
    session_id: SessionId
    interaction_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    heard_text: Annotated[str, Field(max_length=4000)]


class HeardResponse(BaseModel):
    session_id: str
    interaction_id: str
    kept_text: str


@api.post("/process", body=ProcessRequest, response=TurnResponse, auth=True)
def process(req: ApiRequest) -> flask.Response:
    """Run one turn: JSON answer, or SSE events delta/tool_call/tool_result/final/error.

    A `delta` with `"end": true` (its text may be empty) closes one model response's text, so
    a listener speaks the last sentence at once instead of after the turn is stored."""
    principal = require_auth(req, allow_service=True)
    turn = _turn_request(req, principal, req.body)
    if req.headers.get("Idempotency-Key"):
        return run_idempotent(api, req, lambda: to_response(get_runner().run_sync(turn)))
    if "text/event-stream" in req.headers.get("Accept", ""):
        return flask.Response(
            _sse(get_runner().stream_sync(turn)),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return to_response(get_runner().run_sync(turn))


@api.post("/heard", body=HeardRequest, response=HeardResponse, auth=True, idempotent=True)
def heard(req: ApiRequest) -> dict[str, Any]:
    """After a barge-in: keep in the conversation only what the user heard of an answer."""
    principal = require_auth(req, allow_service=True)
    body: HeardRequest = req.body
    return get_runner().heard_sync(
        principal.user_id, body.session_id, body.interaction_id, body.heard_text
    )


def _turn_request(req: ApiRequest, principal: Principal, body: ProcessRequest) -> TurnRequest:
    caller_phone, user_name = _verified_caller(req, principal)
    return TurnRequest(
        user_id=principal.user_id,
        session_id=body.session_id or uuid.uuid4().hex,
        prompt=body.prompt,
        provider=body.provider,
        reset_thread=body.reset_thread,
        channel=body.channel,
        metadata=body.metadata,
        team_ids=principal.team_ids,
        roles=principal.roles,
        user_name=user_name,
        caller_phone=caller_phone,
    )


def _verified_caller(req: ApiRequest, principal: Principal) -> tuple[str | None, str | None]:
    """(phone, name) of the caller a service verified; a user's own token carries neither."""
    if principal.via != "service":
        return None, None
    claims = decode_service_token(req.bearer_token() or "")
    return claims.phone, profile(principal.user_id).display_name


def _sse(events: Iterator[TurnEvent]) -> Iterator[str]:
    try:
        for name, data in events:
            yield f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"
    except Exception:
        log.exception("agent turn stream failed")
        api_error = {"code": "internal", "message": "The turn could not be completed."}
        yield f"event: error\ndata: {json.dumps(api_error)}\n\n"


@functions_framework.http
def agent_turn(request: flask.Request) -> flask.Response:
    return api.handle(request)
