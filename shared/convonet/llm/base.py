"""The ChatModel port: messages and tool schemas in; streamed text, tool calls and usage out.

One shape for every provider (Claude, OpenAI, Gemini, the offline model), so the agent graph
and the failover logic never see a vendor type. Adapters import their SDK lazily.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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
