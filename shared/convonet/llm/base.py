"""The ChatModel port: messages and tool schemas in; streamed text, tool calls and usage out.

One shape for every provider (Claude, OpenAI, Gemini, the offline model), so the agent graph
and the failover logic never see a vendor type. Adapters import their SDK lazily.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallRequested:
    call: ToolCall


@dataclass(frozen=True)
class Finished:
    stop_reason: str
    usage: Usage = field(default_factory=Usage)


ChatEvent = TextDelta | ToolCallRequested | Finished


class ProviderError(RuntimeError):
    """The provider failed (HTTP 5xx, rate limit, timeout, malformed answer): fail over."""

    def __init__(self, provider: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable


@dataclass(frozen=True)
class ChatResponse:
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage
    stop_reason: str


class ChatModel(Protocol):
    provider: str
    model: str

    def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        """Stream one model response; raises ProviderError for anything that warrants failover."""


async def collect(stream: AsyncIterator[ChatEvent]) -> ChatResponse:
    """Drain a stream into one response (for callers that do not stream)."""
    text: list[str] = []
    calls: list[ToolCall] = []
    finished = Finished("end_turn")
    async for event in stream:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ToolCallRequested):
            calls.append(event.call)
        else:
            finished = event
    return ChatResponse("".join(text), tuple(calls), finished.usage, finished.stop_reason)


def is_retryable_status(status: int) -> bool:
    """Whether a status means "try again later" rather than "this request is wrong": every
    4xx but 408, 409 and 429 is the caller's fault (an error event mid-stream carries 200)."""
    return not 400 <= status < 500 or status in (408, 409, 429)


def status_error(provider: str, status: int, exc: Exception) -> ProviderError:
    """A vendor's HTTP error status as a ProviderError; a refused request (not retryable) is
    logged as an error on the vendor's logger, since failing over will not fix it."""
    retryable = is_retryable_status(status)
    if not retryable:
        logging.getLogger(f"convonet.llm.{provider}").error(
            "%s refused the request (HTTP %s): %s", provider, status, exc
        )
    return ProviderError(provider, f"HTTP {status}: {exc}", retryable=retryable)


def stop_reason(vendor_reason: str | None, *, tool_calls: bool) -> str:
    """One stop-reason vocabulary across vendors: end_turn, tool_use, max_tokens, refusal, ..."""
    if tool_calls:
        return "tool_use"
    reason = (vendor_reason or "end_turn").lower()
    return _STOP_REASONS.get(reason, reason)


_STOP_REASONS = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
    "safety": "refusal",
}


def parse_arguments(provider: str, raw: str) -> dict[str, Any]:
    """Tool-call arguments streamed as JSON text; anything but an object is a malformed answer."""
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ProviderError(provider, f"tool arguments are not JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise ProviderError(provider, "tool arguments are not a JSON object")
    return arguments


def tool_result_value(content: str) -> Any:
    """A tool message's content as data when it is JSON (tools answer JSON), else the text."""
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        return content


def object_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool's parameters as the object schema every vendor requires, even with no arguments."""
    return {"type": "object", "properties": {}, **parameters}


ClientT = TypeVar("ClientT")


class LoopBoundClient(Generic[ClientT]):
    """One SDK client per running event loop: pooled connections belong to the loop that
    opened them, and reusing them saves a TLS handshake on every turn of a conversation."""

    def __init__(self, factory: Callable[[], ClientT]) -> None:
        self._factory = factory
        self._client: ClientT | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> ClientT:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._factory(), loop
        return self._client
