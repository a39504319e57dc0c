"""The SDK adapters against recorded vendor streams: a full tool round trip and plain streaming.

The real `anthropic`, `openai` and `google-genai` clients talk HTTP to a loopback server that
replays recorded answers (tests/recordings/llm/) and keeps what each SDK sent, so the wire
format of tool calls and tool results is checked as the vendor would receive it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from convonet.llm import (
    ChatMessage,
    ChatModel,
    ChatResponse,
    Finished,
    ProviderError,
    TextDelta,
    ToolCall,
    Usage,
    collect,
)
from convonet.llm.anthropic import AnthropicChatModel
from convonet.llm.gemini import FOREIGN_SIGNATURE, GeminiChatModel
from convonet.llm.openai import OpenAIChatModel

from tests.fixtures.llm import (
    ANSWER,
    ANTHROPIC_PATH,
    GEMINI_PATH,
    OPENAI_PATH,
    PATHS,
    QUESTION,
    RECORDINGS,
    SYSTEM,
    TOOLS,
    LoopbackLLM,
    Replay,
)

TOOL_RESULT = json.dumps({"ok": True, "result": {"id": "td_1", "title": "Buy milk"}})


def ask(model: ChatModel, messages: list[ChatMessage]) -> ChatResponse:
    async def _ask() -> ChatResponse:
        return await collect(model.stream(messages, TOOLS, system=SYSTEM, max_tokens=256))

    return asyncio.run(_ask())


def round_trip(model: ChatModel) -> tuple[ToolCall, ChatResponse]:
    """Ask, run the (pretend) tool, send its result back, get the answer."""
    first = ask(model, [QUESTION])
    assert first.stop_reason == "tool_use"
    (call,) = first.tool_calls
    history = [
        QUESTION,
        ChatMessage("assistant", first.text, tool_calls=first.tool_calls),
        ChatMessage("tool", TOOL_RESULT, tool_call_id=call.id, name=call.name),
    ]
    return call, ask(model, history)


EXPECTED_ARGUMENTS = {"title": "Buy milk", "due_date": "2026-01-06", "priority": "medium"}


def test_anthropic_tool_round_trip(llm_server: LoopbackLLM) -> None:
    llm_server.answer(
        ANTHROPIC_PATH, Replay("anthropic_tool_use.sse"), Replay("anthropic_answer.sse")
    )
    call, answer = round_trip(llm_server.model("anthropic"))

    assert call == ToolCall("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "create_todo", EXPECTED_ARGUMENTS)
    assert answer.text == ANSWER
    first, second = llm_server.seen(ANTHROPIC_PATH)
    assert first.headers["authorization"] == "Bearer sk-ant-test"
    assert first.body["system"] == SYSTEM
    assert first.body["stream"] is True
    assert first.body["tools"][0]["input_schema"]["properties"]["priority"]["enum"][1] == "medium"
    assert second.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": QUESTION.content}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I'll add that for you."},
                {
                    "type": "tool_use",
                    "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                    "name": "create_todo",
                    "input": EXPECTED_ARGUMENTS,
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
                    "content": TOOL_RESULT,
                }
            ],
        },
    ]


def test_openai_tool_round_trip(llm_server: LoopbackLLM) -> None:
    llm_server.answer(OPENAI_PATH, Replay("openai_tool_calls.sse"), Replay("openai_answer.sse"))
    call, answer = round_trip(llm_server.model("openai"))

    assert call == ToolCall("call_Vk3mX9qTz2LpW8sRb4NcYd1E", "create_todo", EXPECTED_ARGUMENTS)
    assert answer.text == ANSWER
    first, second = llm_server.seen(OPENAI_PATH)
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body["stream_options"] == {"include_usage": True}
    assert first.body["max_completion_tokens"] == 256
    assert first.body["tools"][0]["type"] == "function"
    assert first.body["tools"][0]["function"]["name"] == "create_todo"
    assert second.body["messages"] == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION.content},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_Vk3mX9qTz2LpW8sRb4NcYd1E",
                    "type": "function",
                    "function": {
                        "name": "create_todo",
                        "arguments": json.dumps(EXPECTED_ARGUMENTS),
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_Vk3mX9qTz2LpW8sRb4NcYd1E", "content": TOOL_RESULT},
    ]


def test_gemini_tool_round_trip(llm_server: LoopbackLLM) -> None:
    llm_server.answer(GEMINI_PATH, Replay("gemini_function_call.sse"), Replay("gemini_answer.sse"))
    call, answer = round_trip(llm_server.model("gemini"))

    assert call.name == "create_todo"
    assert call.arguments == EXPECTED_ARGUMENTS
    assert answer.text == ANSWER
    first, second = llm_server.seen(GEMINI_PATH)
    assert first.query == {"alt": ["sse"]}
    assert first.headers["x-goog-api-key"] == "AIza-test"
    assert first.body["systemInstruction"]["parts"] == [{"text": SYSTEM}]
    assert first.body["generationConfig"]["maxOutputTokens"] == 256
    declaration = first.body["tools"][0]["functionDeclarations"][0]
    assert declaration["parameters"]["properties"]["due_date"] == {
        "type": "STRING",
        "description": "ISO date Format: date.",
        "nullable": True,
    }
    recorded = _recorded_signature()
    model_turn, tool_turn = second.body["contents"][1:]
    assert model_turn == {
        "role": "model",
        "parts": [
            {
                "functionCall": {"name": "create_todo", "args": EXPECTED_ARGUMENTS},
                "thoughtSignature": recorded,
            }
        ],
    }
    assert tool_turn == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "create_todo",
                    "response": {"output": json.loads(TOOL_RESULT)},
                }
            }
        ],
    }


def _recorded_signature() -> str:
    line = (RECORDINGS / "gemini_function_call.sse").read_text().split("\r\n")[0]
    part = json.loads(line.removeprefix("data: "))["candidates"][0]["content"]["parts"][0]
    return str(part["thoughtSignature"])


def test_gemini_sends_the_documented_placeholder_for_calls_from_another_provider(
    llm_server: LoopbackLLM,
) -> None:
    llm_server.answer(GEMINI_PATH, Replay("gemini_answer.sse"))
    foreign = ToolCall("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "create_todo", EXPECTED_ARGUMENTS)
    history = [
        QUESTION,
        ChatMessage("assistant", tool_calls=(foreign,)),
        ChatMessage("tool", TOOL_RESULT, tool_call_id=foreign.id),
    ]
    assert ask(llm_server.model("gemini"), history).text == ANSWER

    (sent,) = llm_server.seen(GEMINI_PATH)
    call_part = sent.body["contents"][1]["parts"][0]
    assert call_part["thoughtSignature"] == "skip_thought_signature_validator"
    assert base64.urlsafe_b64encode(FOREIGN_SIGNATURE).decode() == call_part["thoughtSignature"]
    assert call_part["functionCall"]["id"] == foreign.id
    assert sent.body["contents"][2]["parts"][0]["functionResponse"]["name"] == "create_todo"


STREAMS: list[tuple[str, str, Usage, list[str]]] = [
    (
        "anthropic",
        "anthropic_answer.sse",
        Usage(618, 17),
        ["Done.", ' I added "Buy milk"', " to your list for tomorrow."],
    ),
    (
        "openai",
        "openai_answer.sse",
        Usage(441, 14),
        ["Done", ".", " I", " added", ' "', "Buy", " milk", '"']
        + [" to", " your", " list", " for", " tomorrow", "."],
    ),
    (
        "gemini",
        "gemini_answer.sse",
        Usage(352, 13),
        ['Done. I added "Buy milk"', " to your list", " for tomorrow."],
    ),
]


@pytest.mark.parametrize(
    ("provider", "recording", "usage", "deltas"), STREAMS, ids=[s[0] for s in STREAMS]
)
def test_streaming_text_in_order_with_usage(
    llm_server: LoopbackLLM, provider: str, recording: str, usage: Usage, deltas: list[str]
) -> None:
    llm_server.answer(PATHS[provider], Replay(recording))
    model = llm_server.model(provider)

    async def _events() -> list[Any]:
        return [event async for event in model.stream([QUESTION], [], system=SYSTEM)]

    events = asyncio.run(_events())

    assert model.provider == provider
    assert events == [*(TextDelta(d) for d in deltas), Finished("end_turn", usage)]
    assert "tools" not in llm_server.seen(PATHS[provider])[0].body


ERRORS: list[tuple[str, Replay, bool]] = [
    ("anthropic", Replay("anthropic_overloaded.json", 529), True),
    ("anthropic", Replay("anthropic_api_error.json", 500), True),
    ("anthropic", Replay("anthropic_authentication_error.json", 401), False),
    ("anthropic", Replay("anthropic_overloaded_mid_stream.sse"), True),
    ("openai", Replay("openai_server_error.json", 500), True),
    ("openai", Replay("openai_server_error.json", 429), True),
    ("openai", Replay("openai_truncated_arguments.sse"), True),
    ("gemini", Replay("gemini_unavailable.json", 503), True),
    ("gemini", Replay("gemini_unavailable.json", 400), False),
]


@pytest.mark.parametrize(
    ("provider", "answer", "retryable"),
    ERRORS,
    ids=[f"{e[0]}-{e[1].recording}-{e[1].status}" for e in ERRORS],
)
def test_vendor_errors_become_provider_errors(
    llm_server: LoopbackLLM, provider: str, answer: Replay, retryable: bool
) -> None:
    llm_server.answer(PATHS[provider], answer)
    with pytest.raises(ProviderError) as info:
        ask(llm_server.model(provider), [QUESTION])
    assert info.value.provider == provider
    assert info.value.retryable is retryable
    assert len(llm_server.seen(PATHS[provider])) == 1, "the SDK's own retries must be off"


def test_unreachable_vendor_is_a_provider_error() -> None:
    closed = "http://127.0.0.1:9"
    for model in (
        AnthropicChatModel(api_key="k", model="m", base_url=closed),
        OpenAIChatModel(api_key="k", model="m", base_url=closed),
        GeminiChatModel(api_key="k", model="m", base_url=closed),
    ):
        with pytest.raises(ProviderError) as info:
            ask(model, [QUESTION])
        assert info.value.retryable
