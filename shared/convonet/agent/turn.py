"""One assistant turn, transport-free: used by `agent_turn` (JSON and SSE) and in-process by the
voice gateway.

A turn: pick the model (request, else the user's setting, else LLM_PROVIDER, with failover),
refuse politely when the user is over the monthly token limit, run the graph on the
conversation's thread (thread id = user id + session id; a turn without a user never shares a
thread), stream `delta`, `tool_call` and `tool_result` events as they happen, wait for the
write-behind checkpoint and end with `final`; the bookkeeping that need not delay the answer
(token counters, the `agent-interactions` event) runs right after `final` is handed over, even
when the consumer stops there, on a worker thread: it is a StateStore write and a publish, and
the event loop it would block may be serving hundreds of other voice sessions (at 400 on one
process, bench/voice_load.py's in-process p95 went from 10.9-22.4 ms to 7.7-13.5 ms). A
Sentry transaction with spans for routing, each model call and each tool wraps the turn when
SENTRY_DSN is set.

An unreachable StateStore degrades the turn instead of failing it: no thread reset, no usage
limit check, no history (see the checkpointer and the tool ledger), and the event waits in
`pending_events` when even the outbox cannot keep it. Each is a logged warning.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

from convonet.agent import prompts, usage
from convonet.agent.checkpointer import StateStoreCheckpointer
from convonet.agent.graph import ERROR_APOLOGY, TIMEOUT_APOLOGY, Agent, Message, TurnContext
from convonet.agent.pending_events import pending_events
from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.domain.errors import Invalid, NotFound
from convonet.llm.base import ChatModel, Usage
from convonet.process import freeze_startup_heap
from convonet.state import StateStoreError
from convonet.tools import ToolContext

log = logging.getLogger(__name__)

Channel = Literal["web", "voice", "phone", "api", "mcp"]
TurnEvent = tuple[str, dict[str, Any]]
# (requested provider, user's setting) -> (provider name, model to use)
ModelFactory = Callable[[str | None, str | None], tuple[str, ChatModel]]

# The graph's own deadline handles overruns; this only catches a graph that ignores it.
_SAFETY_GRACE_S = 1.0
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class TurnRequest:
    user_id: str | None
    session_id: str
    prompt: str
    provider: str | None = None
    reset_thread: bool = False
    channel: Channel = "api"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    team_ids: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset({"user"})
    user_name: str | None = None
    caller_phone: str | None = None
    interaction_id: str = field(default_factory=lambda: uuid.uuid4().hex)


def thread_id(user_id: str | None, session_id: str) -> str:
    """The conversation's thread: per user and session; never shared without a user."""
    if not user_id:
        return f"anonymous:{uuid.uuid4().hex}"
    return f"{user_id}:{session_id}"


def default_models(requested: str | None, user_setting: str | None) -> tuple[str, ChatModel]:
    from convonet.llm.select import build_failover_model, choose_provider

    return choose_provider(requested, user_setting), build_failover_model(requested, user_setting)


class TurnRunner:
    def __init__(self, agent: Agent, models: ModelFactory | None = None) -> None:
        self.agent = agent
        self.models = models

    async def run(self, request: TurnRequest) -> dict[str, Any]:
        """The turn's final answer (its events are dropped)."""
        final: dict[str, Any] = {}
        async for name, data in self.stream(request):
            if name == "final":
                final = data
        return final

    async def stream(self, request: TurnRequest) -> AsyncGenerator[TurnEvent, None]:
        thread = thread_id(request.user_id, request.session_id)
        if request.reset_thread:
            await self._reset(thread)
        provider, model = self._model(request)
        if request.user_id and await _over_limit(request.user_id):
            yield "delta", {"text": usage.LIMIT_MESSAGE, "end": True}
            yield "final", self._limited(request, provider, model)
            return
        queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()
        with _Tracing(request) as tracing:
            turn = self._context(thread, request, model, queue.put_nowait, tracing.span)
            task = asyncio.ensure_future(self._drive(thread, request, turn, queue))
            try:
                while (event := await queue.get()) is not None:
                    yield event
                await task
            finally:
                if not task.done():  # the consumer left mid-turn (barge-in, client gone)
                    await self._cut(thread, request, provider, model, turn, task)
            body = await self._stored_answer(thread, request, provider, model, turn)
            try:
                yield "final", body
            finally:
                await asyncio.to_thread(_account, request, provider, turn, body)

    async def _cut(
        self,
        thread: str,
        request: TurnRequest,
        provider: str,
        model: ChatModel,
        turn: TurnContext,
        task: asyncio.Future[None],
    ) -> None:
        """Stop generating and let the graph end on what was said so far, so the conversation
        keeps the turn (trimmed to what was heard by `heard`); a graph that does not end within
        the turn's budget is cancelled."""
        turn.cut_off()
        try:
            await asyncio.wait_for(asyncio.shield(task), max(turn.remaining(), 0.0))
        except TimeoutError:
            log.warning("turn %s did not end after it was cut off", request.interaction_id)
        finally:
            await _cancel(task)
        body = await self._stored_answer(thread, request, provider, model, turn)
        await asyncio.to_thread(_account, request, provider, turn, body)

    async def _stored_answer(
        self, thread: str, request: TurnRequest, provider: str, model: ChatModel, turn: TurnContext
    ) -> dict[str, Any]:
        """The turn's answer, once its conversation is stored (the write-behind flushed)."""
        await self._flush(thread, turn)
        return self._answer(request, provider, model, turn)

    async def heard(
        self, user_id: str, session_id: str, interaction_id: str, heard_text: str
    ) -> dict[str, Any]:
        """Keep in the conversation only what the user heard of an answer (after a barge-in)."""
        thread = thread_id(user_id, session_id)
        messages = await self.agent.messages(thread)
        trimmed, kept = trim_to_heard(messages, interaction_id, heard_text)
        await self.agent.replace_messages(thread, trimmed)
        await self.agent.checkpointer.aflush(thread)  # type: ignore[attr-defined]
        from convonet.monitor.records import mark_interrupted

        mark_interrupted(interaction_id, kept)
        return {"session_id": session_id, "interaction_id": interaction_id, "kept_text": kept}

    def forget(self, user_id: str, session_id: str) -> None:
        """The session ended: drop what this process keeps in memory of its conversation."""
        self.agent.forget(thread_id(user_id, session_id))

    # Sync entry points (the functions and the voice gateway's worker threads) ----------------

    def run_sync(self, request: TurnRequest) -> dict[str, Any]:
        return _loop().run_until_complete(self.run(request))

    def stream_sync(self, request: TurnRequest) -> Iterator[TurnEvent]:
        loop = _loop()
        events = self.stream(request)
        try:
            while True:
                try:
                    yield loop.run_until_complete(anext(events))
                except StopAsyncIteration:
                    return
        finally:
            loop.run_until_complete(events.aclose())

    def heard_sync(
        self, user_id: str, session_id: str, interaction_id: str, heard_text: str
    ) -> dict[str, Any]:
        return _loop().run_until_complete(
            self.heard(user_id, session_id, interaction_id, heard_text)
        )

    # Steps ------------------------------------------------------------------------------------

    def _model(self, request: TurnRequest) -> tuple[str, ChatModel]:
        user_setting = None
        if request.provider is None and request.user_id:
            user_setting = _user_provider(request.user_id)
        factory = self.models or _model_factory or default_models
        return factory(request.provider, user_setting)

    def _context(
        self,
        thread: str,
        request: TurnRequest,
        model: ChatModel,
        emit: Callable[[TurnEvent], None],
        span: Callable[[str, str], AbstractContextManager[Any]],
    ) -> TurnContext:
        settings = get_settings()
        clock = get_clock()
        return TurnContext(
            tool_context=ToolContext(
                user_id=request.user_id or "",
                team_ids=request.team_ids,
                roles=request.roles,
                session_id=request.session_id,
                request_id=request.interaction_id,
                channel="phone" if request.channel == "phone" else "agent",
                caller_phone=request.caller_phone,
            ),
            model=model,
            interaction_id=request.interaction_id,
            thread_id=thread,
            deadline=clock.monotonic() + settings.agent_timeout_s,
            tool_timeout_s=settings.tool_timeout_s,
            max_rounds=settings.agent_max_tool_rounds,
            send_early=settings.agent_early_request,
            timezone=prompts.restaurant_timezone(),
            now=clock.now(),
            emit=lambda name, data: emit((name, data)),
            span=span,
        )

    async def _drive(
        self,
        thread: str,
        request: TurnRequest,
        turn: TurnContext,
        queue: asyncio.Queue[TurnEvent | None],
    ) -> None:
        """Run the graph within the budget; whatever happens, the caller hears something."""
        budget = get_settings().agent_timeout_s + _SAFETY_GRACE_S
        try:
            async with asyncio.timeout(budget):
                await self.agent.run(thread, request.prompt, turn)
        except TimeoutError:
            _fail(turn, "timeout", TIMEOUT_APOLOGY, "the turn ran out of time")
        except Exception as exc:
            log.exception("agent turn %s failed", request.interaction_id)
            _fail(turn, "failed", ERROR_APOLOGY, type(exc).__name__)
        finally:
            queue.put_nowait(None)

    async def _reset(self, thread: str) -> None:
        try:
            await self.agent.reset(thread)
        except StateStoreError as exc:
            log.warning("thread %s not reset, the state store is unavailable: %s", thread, exc)

    async def _flush(self, thread: str, turn: TurnContext) -> None:
        try:
            await self.agent.checkpointer.aflush(thread)  # type: ignore[attr-defined]
        except StateStoreError as exc:
            log.warning("conversation of turn %s not stored: %s", turn.interaction_id, exc)
        except Exception:
            log.exception("could not store the conversation of turn %s", turn.interaction_id)

    def _answer(
        self, request: TurnRequest, provider: str, model: ChatModel, turn: TurnContext
    ) -> dict[str, Any]:
        timings = {**turn.timings, "total_ms": turn.elapsed_ms()}
        return {
            "response": " ".join(part.strip() for part in turn.spoken if part.strip()),
            "session_id": request.session_id,
            "agent": turn.domain,
            "provider": provider,
            "model": model.model,
            "tool_calls": [
                {k: r[k] for k in ("name", "arguments", "result", "status", "duration_ms")}
                for r in turn.tool_calls
            ],
            "transfer": turn.transfer,
            "timings": {k: round(v, 3) for k, v in timings.items()},
            "interaction_id": request.interaction_id,
            "status": turn.status,
        }

    def _limited(self, request: TurnRequest, provider: str, model: ChatModel) -> dict[str, Any]:
        turn_body: dict[str, Any] = {
            "response": usage.LIMIT_MESSAGE,
            "session_id": request.session_id,
            "agent": "general",
            "provider": provider,
            "model": model.model,
            "tool_calls": [],
            "transfer": None,
            "timings": {"total_ms": 0.0},
            "interaction_id": request.interaction_id,
            "status": "limited",
        }
        _publish(request, turn_body, "success", "monthly token limit reached", Usage())
        return turn_body


def trim_to_heard(
    messages: list[Message], interaction_id: str, heard_text: str
) -> tuple[list[Message], str]:
    """The conversation with that interaction's spoken text cut to the words heard.

    `heard_text` must be the start of what was said (compared word by word, ignoring case and
    punctuation); tool calls the interaction made are kept, text after the cut is dropped.
    """
    spoken = [
        i
        for i, m in enumerate(messages)
        if m.get("role") == "assistant" and m.get("interaction_id") == interaction_id
    ]
    if not spoken:
        raise NotFound("There is no answer with that interaction_id in this session.")
    heard = _WORD.findall(heard_text.lower())
    trimmed = list(messages)
    kept_parts: list[str] = []
    for index in spoken:
        message = messages[index]
        words = (message.get("content") or "").split()
        take = _heard_prefix(words, heard)
        heard = heard[len(_WORD.findall(" ".join(words[:take]).lower())) :]
        kept = " ".join(words[:take])
        if kept:
            kept_parts.append(kept)
        trimmed[index] = {**message, "content": kept}
    if heard:
        raise Invalid("heard_text is not the start of that answer.", "heard_text_mismatch")
    return [m for m in trimmed if m.get("role") != "assistant" or _keeps(m)], " ".join(kept_parts)


def _heard_prefix(words: list[str], heard: list[str]) -> int:
    """How many of `words` the heard words cover from the start."""
    position = 0
    for count, word in enumerate(words, start=1):
        tokens = _WORD.findall(word.lower())
        if heard[position : position + len(tokens)] != tokens or position >= len(heard):
            return count - 1
        position += len(tokens)
    return len(words)


def _keeps(message: Message) -> bool:
    return bool(message.get("content") or message.get("tool_calls"))


async def _cancel(task: asyncio.Future[None]) -> None:
    """A consumer that stops early (client gone) leaves no graph running behind it; a tool
    already on its worker thread finishes there and lands in the ledger."""
    if task.done():
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def _over_limit(user_id: str) -> bool:
    """The monthly limit check; with the counters unreadable the turn goes ahead."""
    try:
        return await usage.over_limit(user_id)
    except StateStoreError as exc:
        log.warning("token limit of user %s not checked: %s", user_id, exc)
        return False


def _fail(turn: TurnContext, status: Literal["failed", "timeout"], text: str, error: str) -> None:
    turn.status, turn.error = status, error
    turn.say(text)


def _account(
    request: TurnRequest, provider: str, turn: TurnContext, body: Mapping[str, Any]
) -> None:
    """The turn's token counters and its `agent-interactions` event; run on a worker thread
    (see the module docstring), and never failing the turn."""
    spent = Usage(turn.input_tokens, turn.output_tokens)
    if request.user_id:
        try:
            usage.record_usage(request.user_id, provider, spent)
        except StateStoreError as exc:
            log.warning("token usage of turn %s not counted: %s", request.interaction_id, exc)
        except Exception:
            log.exception("could not record token usage of turn %s", request.interaction_id)
    _publish(request, body, turn.status, turn.error, spent, turn.tool_calls)


def _publish(
    request: TurnRequest,
    body: Mapping[str, Any],
    status: Literal["success", "failed", "timeout"],
    error: str | None,
    spent: Usage,
    tool_calls: list[dict[str, Any]] | None = None,
) -> None:
    """The `agent-interactions` event for the monitor; a failed publish never fails the turn."""
    from convonet.events import AgentInteractionEvent, Timings, TokenUsage, ToolCallRecord

    try:
        event = AgentInteractionEvent(
            interaction_id=request.interaction_id,
            session_id=request.session_id,
            user_id=request.user_id,
            user_name=request.user_name,
            channel=request.channel,
            agent=body["agent"],
            provider=body["provider"],
            model=body["model"],
            prompt=request.prompt,
            response=body["response"],
            status=status,
            error=error,
            tool_calls=tuple(
                ToolCallRecord(
                    name=r["name"],
                    tool_id=r.get("tool_id"),
                    arguments=r["arguments"],
                    result=r.get("result"),
                    error=r.get("error"),
                    status=r["status"],
                    duration_ms=r["duration_ms"],
                )
                for r in tool_calls or ()
            ),
            timings=Timings(**body["timings"]),
            usage=TokenUsage(input_tokens=spent.input_tokens, output_tokens=spent.output_tokens),
        )
        pending_events.publish(AgentInteractionEvent.TOPIC, event)
    except Exception:
        log.exception("could not publish interaction %s", request.interaction_id)


def _user_provider(user_id: str) -> str | None:
    """The user's chosen provider (User.llm_provider), if the database can say."""
    try:
        from convonet.db.engine import session_scope
        from convonet.db.models import User

        with session_scope() as session:
            user = session.get(User, user_id)
            return user.llm_provider if user is not None else None
    except Exception as exc:  # noqa: BLE001 - no database still leaves LLM_PROVIDER
        log.warning("could not read the provider setting of user %s: %s", user_id, exc)
        return None


class _Tracing:
    """A Sentry transaction for the turn when SENTRY_DSN is set; spans are no-ops otherwise."""

    def __init__(self, request: TurnRequest) -> None:
        self.request = request
        self._stack = ExitStack()
        self._sentry: Any = None

    def __enter__(self) -> _Tracing:
        if get_settings().sentry_dsn is not None:
            from convonet.observability import init_sentry

            if init_sentry("agent_turn"):
                import sentry_sdk

                self._sentry = sentry_sdk
                transaction = sentry_sdk.start_transaction(op="agent.turn", name="agent turn")
                transaction.set_tag("channel", self.request.channel)
                self._stack.enter_context(transaction)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def span(self, op: str, name: str) -> AbstractContextManager[Any]:
        if self._sentry is None:
            return nullcontext()
        return self._sentry.start_span(op=op, name=name)


# Process-wide runner -------------------------------------------------------------------------

_runner: TurnRunner | None = None
_model_factory: ModelFactory | None = None
_runner_lock = threading.Lock()
_local = threading.local()


def get_runner() -> TurnRunner:
    """The process's runner: graph compiled and tool schemas built once, on first use; then
    the startup heap is frozen (convonet.process), since everything heavy is loaded by now."""
    global _runner
    with _runner_lock:
        if _runner is None:
            checkpointer = StateStoreCheckpointer(ttl_s=get_settings().agent_thread_ttl_s)
            _runner = TurnRunner(Agent(checkpointer))
            freeze_startup_heap()
        return _runner


def set_model_factory(factory: ModelFactory | None) -> ModelFactory | None:
    """Install the model factory for every runner without its own (tests, benches, the dev
    server's stub); None restores provider choice from settings. Returns the previous one."""
    global _model_factory
    previous, _model_factory = _model_factory, factory
    return previous


def _loop() -> asyncio.AbstractEventLoop:
    """One event loop per worker thread, reused across turns: uvloop's, as the voice gateway
    serves on, since every await, task and callback of a turn costs less there."""
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        import uvloop

        loop = _local.loop = uvloop.new_event_loop()
    return loop
