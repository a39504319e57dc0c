"""Claude through the official `anthropic` SDK (Messages API, streamed).

The SDK is imported when a stream starts, never at import time, so functions that do not talk
to Claude do not pay for it. Its own retries are off: the turn budget and failover decide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
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
    from anthropic import AsyncAnthropic


def to_anthropic(messages: Sequence[ChatMessage], system: str) -> tuple[str, list[dict[str, Any]]]:
    """Port messages as Messages API turns: the system prompt apart, tool calls as tool_use
    blocks, tool results as tool_result blocks in a user turn; same-role neighbours merged."""
    system_parts = [system] if system else []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            system_parts.append(message.content)
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return "\n\n".join(system_parts), turns


def _blocks(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            }
        ]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in message.tool_calls
    )
    return blocks


def to_anthropic_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "description": t.description, "input_schema": object_schema(t.parameters)}
        for t in tools
    ]


class AnthropicChatModel:
    provider = "anthropic"

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._client: LoopBoundClient[AsyncAnthropic] = LoopBoundClient(self._new_client)

    def _new_client(self) -> AsyncAnthropic:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(api_key=self._api_key, base_url=self._base_url, max_retries=0)

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        import anthropic
        import httpx

        system_prompt, turns = to_anthropic(messages, system)
        request: dict[str, Any] = {"model": self.model, "max_tokens": max_tokens, "messages": turns}
        if system_prompt:
            request["system"] = system_prompt
        if tools:
            request["tools"] = to_anthropic_tools(tools)
        try:
            events = await self._client.get().messages.create(
                **request, stream=True, timeout=timeout_s
            )
            async for event in _Translation().events(events):
                yield event
        except anthropic.APIError as exc:
            raise _provider_error(exc) from exc
        except httpx.HTTPError as exc:
            raise ProviderError("anthropic", f"stream broken: {exc!r}") from exc


class _Translation:
    """Raw Messages API stream events -> port events (tool calls once their JSON is complete)."""

    def __init__(self) -> None:
        self.tool_blocks: dict[int, tuple[str, str, list[str]]] = {}
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.reason: str | None = None

    async def events(self, raw: AsyncIterator[Any]) -> AsyncIterator[ChatEvent]:
        async for event in raw:
            for translated in self._translate(event):
                yield translated
        usage = Usage(self.input_tokens, self.output_tokens)
        yield Finished(stop_reason(self.reason, tool_calls=self.calls > 0), usage)

    def _translate(self, event: Any) -> list[ChatEvent]:
        if event.type == "message_start":
            self.input_tokens = event.message.usage.input_tokens or 0
        elif event.type == "content_block_start" and event.content_block.type == "tool_use":
            block = event.content_block
            self.tool_blocks[event.index] = (block.id, block.name, [])
        elif event.type == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif event.type == "content_block_stop" and event.index in self.tool_blocks:
            call_id, name, parts = self.tool_blocks.pop(event.index)
            self.calls += 1
            arguments = parse_arguments("anthropic", "".join(parts))
            return [ToolCallRequested(ToolCall(call_id, name, arguments))]
        elif event.type == "message_delta":
            self.reason = event.delta.stop_reason
            self.output_tokens = event.usage.output_tokens or 0
            self.input_tokens = getattr(event.usage, "input_tokens", None) or self.input_tokens
        return []

    def _delta(self, index: int, delta: Any) -> list[ChatEvent]:
        if delta.type == "text_delta" and delta.text:
            return [TextDelta(delta.text)]
        if delta.type == "input_json_delta" and index in self.tool_blocks:
            self.tool_blocks[index][2].append(delta.partial_json)
        return []


def _provider_error(exc: Exception) -> ProviderError:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderError("anthropic", "timed out")
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderError("anthropic", f"connection failed: {exc}")
    if isinstance(exc, anthropic.APIStatusError):
        return status_error("anthropic", exc.status_code, exc)
    return ProviderError("anthropic", str(exc))
