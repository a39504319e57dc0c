"""A ChatModel that plays back a script: the stub provider for tests and benches.

Each call to `stream` answers with the next scripted response (text, tool calls, or both),
after an optional fixed latency, so a test controls the model's exact reply and a bench
measures only what Convonet adds around it. A response may also be a function of the
conversation, for replies that depend on a tool result.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    Finished,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ScriptedResponse:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=lambda: Usage(10, 5))


Script = ScriptedResponse | Callable[[Sequence[ChatMessage]], ScriptedResponse]


@dataclass(frozen=True)
class ScriptedCall:
    """What the model was asked, for tests to inspect."""

    messages: tuple[ChatMessage, ...]
    tools: tuple[str, ...]
    system: str


class ScriptedChatModel:
    """Plays `responses` in order (cycling when `cycle`), each after `latency_s`."""

    def __init__(
        self,
        responses: Sequence[Script],
        *,
        latency_s: float = 0.0,
        cycle: bool = False,
        provider: str = "scripted",
        model: str = "scripted-1",
    ) -> None:
        self.responses = list(responses)
        self.latency_s = latency_s
        self.cycle = cycle
        self.provider = provider
        self.model = model
        self.calls: list[ScriptedCall] = []
        self._next = 0

    def _take(self, messages: Sequence[ChatMessage]) -> ScriptedResponse:
        if self._next >= len(self.responses):
            if not self.cycle or not self.responses:
                raise ProviderError(self.provider, "the script has no more responses")
            self._next = 0
        script = self.responses[self._next]
        self._next += 1
        return script if isinstance(script, ScriptedResponse) else script(messages)

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        self.calls.append(ScriptedCall(tuple(messages), tuple(t.name for t in tools), system))
        response = self._take(messages)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        sentences = _SENTENCE_END.split(response.text) if response.text else []
        for index, sentence in enumerate(sentences):
            yield TextDelta(sentence if index == len(sentences) - 1 else sentence + " ")
        for call in response.tool_calls:
            yield ToolCallRequested(call)
        stop = "tool_use" if response.tool_calls else "end_turn"
        yield Finished(stop, response.usage)


def say(text: str, *, input_tokens: int = 10, output_tokens: int = 5) -> ScriptedResponse:
    return ScriptedResponse(text=text, usage=Usage(input_tokens, output_tokens))


def call_tool(name: str, arguments: dict[str, object], call_id: str = "call_1") -> ScriptedResponse:
    return ScriptedResponse(tool_calls=(ToolCall(call_id, name, dict(arguments)),))
