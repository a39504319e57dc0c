"""The phone's way to the assistant: one agent turn within what is left of the webhook budget.

In production (AGENT_URL set) the turn is a POST to `agent_turn` with the internal service
token acting for the verified caller and carrying the number Twilio reported (its `phone`
claim), so this function never loads LangGraph or a model SDK while the tools still default to
the caller's number.
In dev (AGENT_URL unset) the turn runs in-process on a worker thread. Either way the wait is
cut at the budget: a stalled model means `AgentUnavailable`, never a late or silent answer.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from convonet.auth.tokens import issue_service_token
from convonet.config import get_settings

log = logging.getLogger(__name__)

SERVICE_NAME = "twilio_webhook"
_IN_PROCESS_WORKERS = 8


class AgentUnavailable(Exception):
    """The turn did not come back in time or failed; the caller gets an apology."""


@dataclass(frozen=True)
class PhoneTurn:
    user_id: str
    call_sid: str
    text: str
    caller_phone: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class AgentReply:
    text: str
    transfer: dict[str, str] | None = None


def ask_agent(turn: PhoneTurn, timeout_s: float, idempotency_key: str) -> AgentReply:
    if timeout_s <= 0:
        raise AgentUnavailable("no budget left for the agent")
    url = get_settings().agent_url
    if url:
        body = _over_http(url, turn, timeout_s, idempotency_key)
    else:
        body = _in_process(turn, timeout_s)
    if body.get("status") in ("timeout", "failed"):
        raise AgentUnavailable(f"the agent turn ended {body['status']}")
    return _reply(body)


def _reply(body: dict[str, Any]) -> AgentReply:
    transfer = body.get("transfer")
    if not isinstance(transfer, dict):
        transfer = None
    return AgentReply(str(body.get("response") or ""), transfer)


def _over_http(url: str, turn: PhoneTurn, timeout_s: float, key: str) -> dict[str, Any]:
    import httpx

    token = issue_service_token(turn.user_id, SERVICE_NAME, phone=turn.caller_phone)
    try:
        response = httpx.post(
            url.rstrip("/") + "/process",
            json={"prompt": turn.text, "session_id": turn.call_sid, "channel": "phone"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            timeout=timeout_s,
        )
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise AgentUnavailable(f"agent_turn: {type(exc).__name__}: {exc}") from None
    if not isinstance(body, dict):
        raise AgentUnavailable("agent_turn answered something that is not a turn")
    return body


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _in_process(turn: PhoneTurn, timeout_s: float) -> dict[str, Any]:
    future = _pool().submit(_run_turn, turn)
    try:
        return future.result(timeout=timeout_s)
    except FutureTimeout:
        future.add_done_callback(_log_late)
        raise AgentUnavailable("the in-process agent turn ran past the budget") from None
    except Exception as exc:
        log.exception("in-process agent turn failed")
        raise AgentUnavailable(type(exc).__name__) from None


def _run_turn(turn: PhoneTurn) -> dict[str, Any]:
    from convonet.agent.turn import TurnRequest, get_runner
    from convonet.auth.users import load_identity

    roles, team_ids = load_identity(turn.user_id) or (("user",), ())
    request = TurnRequest(
        user_id=turn.user_id,
        session_id=turn.call_sid,
        prompt=turn.text,
        channel="phone",
        user_name=turn.user_name,
        caller_phone=turn.caller_phone,
        roles=frozenset(roles),
        team_ids=team_ids,
    )
    return get_runner().run_sync(request)


def _log_late(future: Future[dict[str, Any]]) -> None:
    if future.exception() is not None:
        log.warning("a late agent turn failed: %s", future.exception())


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(_IN_PROCESS_WORKERS, thread_name_prefix="phone-agent")
        return _executor
