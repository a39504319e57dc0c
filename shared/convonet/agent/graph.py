"""The agent graph: one node that routes, answers and runs tools, checkpointed per thread.

One node, `agent`, runs the turn: it routes the prompt to a domain (sticky unless the topic
changed), then that domain's model (its domain's tools plus transfer) and the tools it asks for,
in turn, until an answer. Each graph step costs a superstep of LangGraph's machinery (task
preparation, config and callback merging, channel reads and writes, an in-memory checkpoint),
some tenths of a millisecond before the next step can start, so route, model and tools are
steps of one node rather than nodes: a turn is two supersteps (the input, the agent) however
many tool rounds it takes. The checkpoint is stored once, when the turn ends
(`durability="exit"`), so one node stores what a node per step would.

The graph's own start (the checkpoint read, the input superstep, preparing the node's task)
costs about a millisecond before the node can call the model. So `Agent.run` sends the turn's
first model request before the graph starts, built from the thread's newest checkpoint this
process kept, and the node adopts that response if the request it builds itself is the same
(`ModelRequest` equality: history, tools, system prompt); the graph's start then runs while the
provider is thinking. When the thread changed elsewhere (another instance's turn) the early
response is closed and the node asks again; with nothing kept, a repair due or a routing tie
for the model to break, nothing is sent early.

One LangGraph `StateGraph`, compiled once per process. The state is the conversation as plain
dicts (role, content, tool calls), the sticky domain and the turn's tool rounds, so a
checkpoint is small, vendor-neutral and loads on any instance. Per-turn things that must not be
stored (the model, the caller, the budget, the event sink) travel in the runtime context.

Budgets: the model gets what is left of AGENT_TIMEOUT_S, each tool min(TOOL_TIMEOUT_S, what is
left); on overrun the turn ends with a short spoken apology and an offer to transfer. Tool calls
of one model response run in parallel. History is repaired before the model sees it (orphan
tool calls get a result, orphan results and empty messages go, cut-off turns are merged) and
bounded, so a checkpoint always fits in a Firestore document.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from convonet.agent import prompts, routing
from convonet.agent.checkpointer import StateStoreCheckpointer
from convonet.clock import get_clock
from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    ChatModel,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
    collect,
)
from convonet.tools import ToolContext, ToolRegistry, ToolResult, get_registry

Message = dict[str, Any]
Emit = Callable[[str, dict[str, Any]], None]
Span = Callable[[str, str], AbstractContextManager[Any]]

log = logging.getLogger(__name__)

AGENT_NODE = "agent"
MAX_MESSAGES = 60
# Threads whose converted history this process keeps (a turn reuses the previous turns'
# conversions); a conversation that ends is forgotten at once (`Agent.forget`).
CHAT_CACHE_THREADS = 1024
MAX_CONTENT_CHARS = 4000
ROUTE_DECISION_TIMEOUT_S = 2.0

TIMEOUT_APOLOGY = (
    "I'm sorry, that's taking longer than it should. Would you like me to transfer you to "
    "someone who can help?"
)
ERROR_APOLOGY = (
    "I'm sorry, I'm having trouble with that right now. Would you like me to transfer you to "
    "someone who can help?"
)
_INTERRUPTED_RESULT = json.dumps(
    {"ok": False, "error": {"kind": "interrupted", "message": "This call did not finish."}}
)


def merge_messages(left: list[Message] | None, right: Any) -> list[Message]:
    """Append (or, for `{"replace": [...]}`, replace), then keep the newest MAX_MESSAGES,
    cut where a user message starts so no tool call loses its result."""
    if isinstance(right, dict) and "replace" in right:
        merged = list(right["replace"])
    else:
        merged = [*(left or []), *(right if isinstance(right, list) else [right])]
    if len(merged) <= MAX_MESSAGES:
        return merged
    tail = merged[-MAX_MESSAGES:]
    first_user = next((i for i, m in enumerate(tail) if m.get("role") == "user"), len(tail) - 1)
    return tail[first_user:]


class AgentState(TypedDict, total=False):
    messages: Annotated[list[Message], merge_messages]
    domain: str
    rounds: int
    stop: bool


@dataclass(frozen=True)
class ModelRequest:
    """What one model call asks: equal requests get the same answer, so one sent early serves."""

    history: list[ChatMessage]
    tools: tuple[ToolSpec, ...]
    system: str

    def send(self, model: ChatModel, timeout_s: float) -> AsyncIterator[ChatEvent]:
        return model.stream(self.history, self.tools, system=self.system, timeout_s=timeout_s)


class EarlyResponse:
    """A model response requested before the graph knew it would ask for it: its first event
    is awaited at once; `adopt` hands the response on if the graph asks the same, `discard`
    closes it (its provider stops) otherwise."""

    def __init__(
        self,
        request: ModelRequest,
        stream: AsyncIterator[ChatEvent],
        *,
        domain: str,
        messages: Sequence[Message],
    ) -> None:
        self.request = request
        self._domain = domain
        self._messages = messages
        self._stream = stream
        self._first: asyncio.Future[ChatEvent | None] | None = asyncio.ensure_future(
            anext(stream, None)
        )

    def built_from(self, domain: str, messages: Sequence[Message]) -> bool:
        """Whether the request was built for this domain from these very message objects (the
        graph read the checkpoint this process kept): it is then the request the graph would
        build, already checked well formed."""
        return (
            domain == self._domain
            and len(messages) == len(self._messages)
            and all(ours is theirs for ours, theirs in zip(messages, self._messages, strict=True))
        )

    def adopt(self, request: ModelRequest) -> AsyncIterator[ChatEvent] | None:
        """The response, if it was asked for `request`; it can be adopted once."""
        if self._first is None or request != self.request:
            return None
        first, self._first = self._first, None
        return _replayed(first, self._stream)

    async def discard(self) -> None:
        if self._first is None:
            return
        first, self._first = self._first, None
        first.cancel()
        await asyncio.wait([first])  # unlike awaiting it, never swallows our own cancellation
        if not first.cancelled():
            first.exception()  # a failure nobody waits for is retrieved, not logged as lost
        await _close(self._stream)


async def _replayed(
    first: asyncio.Future[ChatEvent | None], rest: AsyncIterator[ChatEvent]
) -> AsyncIterator[ChatEvent]:
    """The early response's events: the first one awaited early, then the rest."""
    try:
        event = await first
        if event is None:
            return
        yield event
        async for event in rest:
            yield event
    finally:
        await _close(rest)


async def _close(stream: AsyncIterator[ChatEvent]) -> None:
    closing = getattr(stream, "aclose", None)
    if closing is not None:
        await closing()


@dataclass
class TurnContext:
    """One turn's caller, model, budget and findings (never checkpointed)."""

    tool_context: ToolContext
    model: ChatModel
    interaction_id: str
    thread_id: str
    deadline: float
    tool_timeout_s: float
    max_rounds: int
    timezone: str
    now: datetime
    emit: Emit
    span: Span = lambda _op, _name: nullcontext()
    send_early: bool = True
    """Send the first model request before the graph starts (AGENT_EARLY_REQUEST)."""
    started: float = field(default_factory=time.perf_counter)
    status: Literal["success", "failed", "timeout"] = "success"
    error: str | None = None
    domain: str = routing.DEFAULT_DOMAIN
    route_reason: str = ""
    spoken: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    transfer: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    cut: bool = False
    """The listener cut the answer off (barge-in, or gone): no more generation or tools."""
    responding: asyncio.Task[tuple[str, list[ToolCall]]] | None = None
    early: EarlyResponse | None = None
    """The turn's first model request, sent before the graph loaded the thread (`Agent.run`)."""

    def remaining(self) -> float:
        return self.deadline - get_clock().monotonic()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def add_usage(self, usage: Usage) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens

    def cut_off(self) -> None:
        """Stop the model mid-answer (its stream is closed, so the provider stops generating);
        the text so far stays the answer and no further tool runs."""
        self.cut = True
        if self.responding is not None:
            self.responding.cancel()

    def say(self, text: str) -> None:
        """Speak text that did not come from the model (an apology), complete at once."""
        self.spoken.append(text)
        self.emit("delta", {"text": text, "end": True})


class Agent:
    """The compiled graph plus the per-domain tool schemas, both built once."""

    def __init__(
        self, checkpointer: BaseCheckpointSaver[Any], registry: ToolRegistry | None = None
    ) -> None:
        self.registry = registry or get_registry()
        self.checkpointer = checkpointer
        self.toolsets: Mapping[str, tuple[ToolSpec, ...]] = {
            domain: tuple(
                ToolSpec(t.name, t.description, t.json_schema())
                for t in self.registry.tools(domains)
            )
            for domain, domains in routing.TOOL_DOMAINS.items()
        }
        self.graph = self._build().compile(checkpointer=checkpointer)
        self._chat: OrderedDict[str, dict[int, tuple[Message, ChatMessage]]] = OrderedDict()
        self._chat_lock = threading.Lock()

    # Public surface ---------------------------------------------------------------------------

    async def run(self, thread_id: str, prompt: str, turn: TurnContext) -> AgentState:
        user: Message = {"role": "user", "content": prompt, "interaction_id": turn.interaction_id}
        turn.early = self._early_response(thread_id, user, turn)
        try:
            if turn.early is not None:
                await asyncio.sleep(0)  # its request goes out now, not when the graph waits
            state: AgentState = await self.graph.ainvoke(  # type: ignore[assignment]
                {"messages": [user], "rounds": 0, "stop": False},
                _config(thread_id),
                context=turn,
                durability="exit",
            )
        finally:
            if turn.early is not None:
                await turn.early.discard()
        return state

    async def messages(self, thread_id: str) -> list[Message]:
        snapshot = await self.graph.aget_state(_config(thread_id))
        return list(snapshot.values.get("messages") or [])

    async def replace_messages(self, thread_id: str, messages: list[Message]) -> None:
        """The thread's history replaced as if the agent had written it."""
        await self.graph.aupdate_state(
            _config(thread_id), {"messages": {"replace": messages}}, as_node=AGENT_NODE
        )

    async def reset(self, thread_id: str) -> None:
        await self.checkpointer.adelete_thread(thread_id)

    def kept_threads(self) -> set[str]:
        """The threads this process holds in memory (converted history, newest checkpoint)."""
        with self._chat_lock:
            threads = set(self._chat)
        if isinstance(self.checkpointer, StateStoreCheckpointer):
            threads |= self.checkpointer.kept_threads()
        return threads

    def forget(self, thread_id: str) -> None:
        """The conversation ended here (its session closed): drop what this process keeps of
        it in memory; the stored thread stays, and a resumed session reloads it."""
        with self._chat_lock:
            self._chat.pop(thread_id, None)
        if isinstance(self.checkpointer, StateStoreCheckpointer):
            self.checkpointer.forget(thread_id)

    def _early_response(
        self, thread_id: str, user: Message, turn: TurnContext
    ) -> EarlyResponse | None:
        """The first model request, sent now from the thread's kept checkpoint, so the
        provider's latency hides the graph's own start (the checkpoint read, the input step):
        the node adopts it when its own request turns out the same, which it does unless
        another instance wrote the thread meanwhile. None when there is nothing to go on
        (no kept checkpoint, a history to repair) or the route needs the model."""
        if not turn.send_early or not isinstance(self.checkpointer, StateStoreCheckpointer):
            return None
        values = self.checkpointer.newest_values(thread_id)
        if values is None:
            return None
        messages = merge_messages(values.get("messages"), [user])
        decision = routing.route(user["content"], values.get("domain"))
        if decision.needs_model or not is_well_formed(messages):
            return None
        request = self._model_request(decision.domain, messages, 0, turn)
        stream = request.send(turn.model, turn.remaining())
        return EarlyResponse(request, stream, domain=decision.domain, messages=messages)

    # Graph ------------------------------------------------------------------------------------

    def _build(self) -> StateGraph[AgentState, TurnContext, AgentState, AgentState]:
        graph = StateGraph(AgentState, context_schema=TurnContext)
        graph.add_node(AGENT_NODE, self._agent)
        graph.add_edge(START, AGENT_NODE)
        graph.add_edge(AGENT_NODE, END)
        return graph

    async def _agent(self, state: AgentState, runtime: Runtime[TurnContext]) -> AgentState:
        """The turn: the domain that answers, then its model responses and the tools they ask
        for, in turn, until an answer or a stop."""
        turn = runtime.context
        domain = await self._route(state, turn)
        update: AgentState = {}
        while True:
            answer = await self._answer(domain, state, turn)
            update = _combine(update, answer)
            if not _asks_for_tools(answer):
                return update
            state = _advance(state, answer)
            results = await self._tool_results(state, turn)
            update = _combine(update, results)
            if results.get("stop"):
                return update
            state = _advance(state, results)

    async def _route(self, state: AgentState, turn: TurnContext) -> str:
        """The domain that answers this turn (sticky unless the topic changed)."""
        started = time.perf_counter()
        prompt = (state.get("messages") or [{}])[-1].get("content") or ""
        with turn.span("agent.route", "route"):
            decision = routing.route(prompt, state.get("domain"))
            domain: str = decision.domain
            if decision.needs_model:
                domain = await self._decide(turn, prompt, decision)
        turn.domain, turn.route_reason = domain, decision.reason
        turn.timings["route_ms"] = (time.perf_counter() - started) * 1000
        return domain

    async def _decide(self, turn: TurnContext, prompt: str, decision: routing.RouteDecision) -> str:
        """The model breaks a tie between domains; on any failure the provisional one stands."""
        timeout = min(ROUTE_DECISION_TIMEOUT_S, turn.remaining())
        system = routing.decision_prompt(decision.candidates)
        try:
            async with asyncio.timeout(timeout):
                stream = turn.model.stream(
                    [ChatMessage("user", prompt)],
                    (),
                    system=system,
                    max_tokens=8,
                    timeout_s=timeout,
                )
                answer = await collect(stream)
        except (TimeoutError, ProviderError):
            return decision.domain
        turn.add_usage(answer.usage)
        return routing.parse_decision(answer.text, decision.candidates) or decision.domain

    async def _answer(self, domain: str, state: AgentState, turn: TurnContext) -> AgentState:
        """The update of one model response; the turn's first also stores the routed domain
        and the repaired history."""
        rounds = state.get("rounds", 0)
        messages = state.get("messages") or []
        early = turn.early if rounds == 0 else None
        prepared = early.request if early and early.built_from(domain, messages) else None
        update: AgentState = {}
        if rounds == 0:
            update["domain"] = domain
            if prepared is None and not is_well_formed(messages):
                messages = repair_history(messages)
                update["messages"] = {"replace": messages}  # type: ignore[typeddict-item]
        if turn.cut:
            return _combine(update, {"stop": True})
        remaining = turn.remaining()
        if remaining <= 0:
            return _combine(update, _apology(turn, "timeout"))
        request = prepared or self._model_request(domain, messages, rounds, turn)
        try:
            with turn.span("agent.llm", f"{turn.model.provider} {domain}"):
                async with asyncio.timeout(remaining):
                    text, calls = await _respond(turn, request, remaining)
        except TimeoutError:
            return _combine(update, _apology(turn, "timeout"))
        except ProviderError as exc:
            return _combine(update, _apology(turn, "failed", str(exc)))
        if turn.cut:
            return _combine(update, _cut_answer(turn, text))
        if not request.tools:
            calls = []
        if not text and not calls:
            return _combine(update, _apology(turn, "failed", "the model returned an empty answer"))
        message = _assistant_message(turn, text)
        if calls:
            message["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls
            ]
        return _combine(update, {"messages": [message]})

    def _model_request(
        self, domain: str, messages: Sequence[Message], rounds: int, turn: TurnContext
    ) -> ModelRequest:
        """What the model is asked: the domain's prompt and tools (none once the turn has had
        its tool rounds) and the conversation."""
        return ModelRequest(
            history=self._history(turn.thread_id, messages),
            tools=self.toolsets[domain] if rounds < turn.max_rounds else (),
            system=prompts.system_prompt(domain, turn.now, turn.timezone),
        )

    def _history(self, thread_id: str, messages: Sequence[Message]) -> list[ChatMessage]:
        """The conversation for the model; a stored message is never changed in place, so its
        conversion is made once and found again by identity (per thread, for the messages the
        thread still holds)."""
        with self._chat_lock:
            known = self._chat.pop(thread_id, {})
        kept: dict[int, tuple[Message, ChatMessage]] = {}
        history = []
        for message in messages:
            hit = known.get(id(message))
            if hit is None or hit[0] is not message:
                hit = (message, _to_chat(message))
            kept[id(message)] = hit
            history.append(hit[1])
        with self._chat_lock:
            self._chat[thread_id] = kept
            while len(self._chat) > CHAT_CACHE_THREADS:
                self._chat.popitem(last=False)
        return history

    async def _tool_results(self, state: AgentState, turn: TurnContext) -> AgentState:
        if turn.cut:  # the calls stay unanswered; repair_history marks them interrupted
            return {"stop": True}
        calls = (state.get("messages") or [{}])[-1].get("tool_calls") or []
        started = time.perf_counter()
        results = await asyncio.gather(*(self._run_tool(turn, call) for call in calls))
        turn.timings["tools_ms"] = (
            turn.timings.get("tools_ms", 0.0) + (time.perf_counter() - started) * 1000
        )
        messages: list[Message] = [
            {
                "role": "tool",
                "tool_call_id": call["id"],
                "name": call["name"],
                "content": content,
                "interaction_id": turn.interaction_id,
            }
            for call, content in zip(calls, results, strict=True)
        ]
        update: AgentState = {"rounds": state.get("rounds", 0) + 1}
        if any(record["status"] == "timeout" for record in turn.tool_calls):
            apology = _apology(turn, "timeout")
            messages.extend(apology["messages"])
            update["stop"] = True
        update["messages"] = messages
        return update

    async def _run_tool(self, turn: TurnContext, call: Mapping[str, Any]) -> str:
        """Run one tool call within its budget; returns what the model reads back."""
        name, arguments = call["name"], dict(call.get("arguments") or {})
        turn.emit("tool_call", {"name": name, "arguments": arguments})
        ctx = replace(turn.tool_context, tool_call_id=call["id"])
        timeout = max(0.0, min(turn.tool_timeout_s, turn.remaining()))
        started = time.perf_counter()
        record: dict[str, Any] = {"name": name, "tool_id": call["id"], "arguments": arguments}
        try:
            with turn.span("agent.tool", name):
                result = await self._call_tool(ctx, name, arguments, timeout)
        except TimeoutError:
            payload: dict[str, Any] = {
                "ok": False,
                "error": {"kind": "timeout", "message": "The tool took too long to answer."},
            }
            record.update(status="timeout", result=None, error="timed out")
        else:
            payload = result.for_model()
            ok = result.status == "ok"
            error = None if ok else (result.error or {}).get("message")
            record.update(status="success" if ok else "failed", result=result.result, error=error)
            transfer = result.result.get("transfer") if isinstance(result.result, dict) else None
            if ok and isinstance(transfer, dict):
                turn.transfer = transfer
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        turn.tool_calls.append(record)
        turn.emit(
            "tool_result",
            {"name": name, "status": record["status"], "duration_ms": record["duration_ms"]},
        )
        return _clip(json.dumps(payload, default=str))

    async def _call_tool(
        self, ctx: ToolContext, name: str, arguments: dict[str, Any], budget_s: float
    ) -> ToolResult:
        """A tool that may block runs on a worker thread so its budget holds; one that only
        computes runs inline (a thread hop would cost more than the call)."""
        if not self.registry.blocks(name):
            return self.registry.call(ctx, name, arguments)
        return await asyncio.wait_for(
            asyncio.to_thread(self.registry.call, ctx, name, arguments), budget_s
        )


async def _respond(
    turn: TurnContext, request: ModelRequest, remaining: float
) -> tuple[str, list[ToolCall]]:
    """One model response as a task `TurnContext.cut_off` can cancel: then the text streamed
    so far is the answer and its tool calls are dropped."""
    index = len(turn.spoken)
    response = asyncio.ensure_future(_complete(turn, request, remaining))
    turn.responding = response
    try:
        return await response
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not turn.cut or (current is not None and current.cancelling()):
            raise
        return (turn.spoken[index] if index < len(turn.spoken) else "").strip(), []
    finally:
        turn.responding = None


def _cut_answer(turn: TurnContext, text: str) -> AgentState:
    """The end of a cut-off turn: what the model had said, if anything, and stop."""
    if not text:
        return {"stop": True}
    return {"messages": [_assistant_message(turn, text)], "stop": True}


def _assistant_message(turn: TurnContext, text: str) -> Message:
    return {"role": "assistant", "content": text, "interaction_id": turn.interaction_id}


async def _complete(
    turn: TurnContext, request: ModelRequest, remaining: float
) -> tuple[str, list[ToolCall]]:
    """Stream one model response (the early one when it asked the same): text goes out as it
    comes, tool calls are collected."""
    parts: list[str] = []
    calls: list[ToolCall] = []
    turn.spoken.append("")
    index = len(turn.spoken) - 1
    async for event in await _open(turn, request, remaining):
        if isinstance(event, TextDelta):
            if not event.text:
                continue
            turn.timings.setdefault("llm_first_token_ms", turn.elapsed_ms())
            parts.append(event.text)
            turn.spoken[index] += event.text
            turn.emit("delta", {"text": event.text})
        elif isinstance(event, ToolCallRequested):
            calls.append(event.call)
        else:
            turn.add_usage(event.usage)
    if parts:  # the response's text is complete: a listener speaks its last sentence now
        turn.emit("delta", {"text": "", "end": True})
    return "".join(parts).strip(), calls


async def _open(
    turn: TurnContext, request: ModelRequest, remaining: float
) -> AsyncIterator[ChatEvent]:
    """The turn's early response when it asked the same, else a new request (the early one,
    if any, is closed: only a turn's first response can be sent early)."""
    early, turn.early = turn.early, None
    if early is not None:
        adopted = early.adopt(request)
        if adopted is not None:
            return adopted
        log.info("turn %s asks the model again: its thread changed elsewhere", turn.interaction_id)
        await early.discard()
    return request.send(turn.model, remaining)


def _apology(
    turn: TurnContext, status: Literal["failed", "timeout"], error: str | None = None
) -> AgentState:
    turn.status = status
    turn.error = error or ("the turn ran out of time" if status == "timeout" else None)
    text = TIMEOUT_APOLOGY if status == "timeout" else ERROR_APOLOGY
    turn.say(text)
    return {"messages": [_assistant_message(turn, text)], "stop": True}


def _asks_for_tools(update: AgentState) -> bool:
    """Whether an agent's update ends on tool calls to run (and the turn goes on)."""
    if update.get("stop"):
        return False
    messages: Any = update.get("messages") or []
    if isinstance(messages, dict):
        messages = messages["replace"]
    return bool(messages and messages[-1].get("tool_calls"))


def _combine(first: AgentState, then: AgentState) -> AgentState:
    """One update that does what `first` then `then` do: one update carries one write per
    channel, so messages are joined (onto a replaced history, if either replaced it)."""
    combined: AgentState = {**first, **then}
    earlier: Any = first.get("messages", [])
    later: Any = then.get("messages", [])
    if isinstance(later, dict):
        return combined
    if isinstance(earlier, dict):
        combined["messages"] = {"replace": [*earlier["replace"], *later]}  # type: ignore[typeddict-item]
    elif earlier or later:
        combined["messages"] = [*earlier, *later]
    return combined


def _advance(state: AgentState, update: AgentState) -> AgentState:
    """The state once `update` is applied, as the graph's reducers would."""
    advanced: AgentState = {**state, **update}
    if "messages" in update:
        advanced["messages"] = merge_messages(state.get("messages"), update["messages"])
    return advanced


def _config(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def _clip(text: str) -> str:
    if len(text) <= MAX_CONTENT_CHARS:
        return text
    return text[: MAX_CONTENT_CHARS - 20] + " ...(truncated)"


def _to_chat(message: Message) -> ChatMessage:
    calls = tuple(
        ToolCall(c["id"], c["name"], dict(c.get("arguments") or {}))
        for c in message.get("tool_calls") or ()
    )
    return ChatMessage(
        role=message["role"],
        content=message.get("content") or "",
        tool_calls=calls,
        tool_call_id=message.get("tool_call_id"),
        name=message.get("name"),
    )


def is_well_formed(messages: Sequence[Message]) -> bool:
    """Whether `repair_history` would leave the conversation as it is: the usual case, checked
    in one pass without copying it."""
    open_calls: set[str] = set()
    previous: str | None = None
    for message in messages:
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") not in open_calls:
                return False
            open_calls.discard(message["tool_call_id"])
        elif open_calls or role not in ("user", "assistant"):
            return False
        elif role == "assistant":
            if previous is None or not (message.get("content") or message.get("tool_calls")):
                return False
            open_calls.update(c["id"] for c in message.get("tool_calls") or ())
        elif previous == "user":
            return False
        previous = role
    return not open_calls


def repair_history(messages: Sequence[Message]) -> list[Message]:
    """A conversation every provider accepts, whatever cut it short.

    - a tool call without a result gets an "interrupted" result right after its message;
    - a tool result without its call, and an assistant message with neither text nor calls,
      are dropped;
    - the history starts with a user message, and consecutive user messages (a turn that
      never got its answer) are merged into one.
    """
    repaired: list[Message] = []
    open_calls: dict[str, str] = {}

    def close_open_calls() -> None:
        for call_id, name in open_calls.items():
            repaired.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "name": name,
                    "content": _INTERRUPTED_RESULT,
                }
            )
        open_calls.clear()

    for message in messages:
        role = message.get("role")
        if role == "tool":
            if message.get("tool_call_id") in open_calls:
                open_calls.pop(message["tool_call_id"])
                repaired.append(message)
            continue
        close_open_calls()
        if role == "assistant":
            if not repaired or not (message.get("content") or message.get("tool_calls")):
                continue
            repaired.append(message)
            open_calls.update((c["id"], c["name"]) for c in message.get("tool_calls") or ())
        elif role == "user":
            if repaired and repaired[-1].get("role") == "user":
                previous = repaired.pop()
                message = {**message, "content": f"{previous['content']}\n{message['content']}"}
            repaired.append(message)
    close_open_calls()
    return repaired
