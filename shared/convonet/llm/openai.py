"""OpenAI through the official `openai` SDK (Chat Completions, streamed with usage).

The SDK is imported when a stream starts, never at import time. Its own retries are off: the
turn budget and failover decide. Chat Completions rather than the Responses API because every
OpenAI-compatible endpoint speaks it too (OPENAI_BASE_URL can point at one).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    Finished,
    LoopBoundClient,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
    object_schema,
    parse_arguments,
    status_error,
    stop_reason,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def to_openai(messages: Sequence[ChatMessage], system: str) -> list[dict[str, Any]]:
    """Port messages as Chat Completions messages: tool calls on the assistant message with
    JSON-text arguments, each tool result its own `tool` message with its tool_call_id."""
    wire: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message.role == "tool":
            wire.append(
                {
                    "role": "tool",
                    "tool_call_id": message.tool_call_id or "",
                    "content": message.content,
                }
            )
        elif message.role == "assistant" and message.tool_calls:
            wire.append(
                {
                    "role": "assistant",
                    "content": message.content or None,
                    "tool_calls": [_wire_call(call) for call in message.tool_calls],
                }
            )
        else:
            wire.append({"role": message.role, "content": message.content})
    return wire


def _wire_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


def to_openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": object_schema(t.parameters),
            },
        }
        for t in tools
    ]


class OpenAIChatModel:
    provider = "openai"

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._client: LoopBoundClient[AsyncOpenAI] = LoopBoundClient(self._new_client)

    def _new_client(self) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        return AsyncOpenAI(api_key=self._api_key, base_url=self._base_url, max_retries=0)

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        import httpx
        import openai

        request: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai(messages, system),
            "max_completion_tokens": max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if tools:
            request["tools"] = to_openai_tools(tools)
        try:
            chunks = await self._client.get().chat.completions.create(**request, timeout=timeout_s)
            async for event in _Translation().events(chunks):
                yield event
        except openai.APIError as exc:
            raise _provider_error(exc) from exc
        except httpx.HTTPError as exc:
            raise ProviderError("openai", f"stream broken: {exc!r}") from exc


class _Translation:
    """Completion chunks -> port events. Tool-call fragments are keyed by their index and
    emitted once the stream ends, when their arguments are complete."""

    def __init__(self) -> None:
        self.calls: dict[int, _PendingCall] = {}
        self.usage = Usage()
        self.reason: str | None = None

    async def events(self, chunks: AsyncIterator[Any]) -> AsyncIterator[ChatEvent]:
        async for chunk in chunks:
            if chunk.usage is not None:
                self.usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices:
                self.reason = choice.finish_reason or self.reason
                if choice.delta.content:
                    yield TextDelta(choice.delta.content)
                for fragment in choice.delta.tool_calls or ():
                    self._add(fragment)
        for call in self.calls.values():
            arguments = parse_arguments("openai", "".join(call.arguments))
            yield ToolCallRequested(ToolCall(call.id, call.name, arguments))
        yield Finished(stop_reason(self.reason, tool_calls=bool(self.calls)), self.usage)

    def _add(self, fragment: Any) -> None:
        call = self.calls.setdefault(fragment.index, _PendingCall())
        call.id = fragment.id or call.id
        if fragment.function is not None:
            call.name += fragment.function.name or ""
            call.arguments.append(fragment.function.arguments or "")


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


def _provider_error(exc: Exception) -> ProviderError:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError("openai", "timed out")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError("openai", f"connection failed: {exc}")
    if isinstance(exc, openai.APIStatusError):
        return status_error("openai", exc.status_code, exc)
    return ProviderError("openai", str(exc))
