"""Failover across real SDK adapters: a provider that errors or stalls is replaced by the next
within the budget; one that has already spoken is not; all down is one typed error.

No test asserts on wall time: the stall test gives the first provider a small attempt budget
and checks only who answered and in which order they were asked.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from convonet.llm import (
    AllProvidersFailed,
    ChatModel,
    FailoverChatModel,
    Finished,
    ProviderError,
    TextDelta,
    ToolCallRequested,
)

from tests.fixtures.llm import (
    ANSWER,
    ANTHROPIC_PATH,
    GEMINI_PATH,
    OPENAI_PATH,
    QUESTION,
    SYSTEM,
    TOOLS,
    LoopbackLLM,
    Replay,
    Stall,
)


def failover(server: LoopbackLLM, *, attempt_timeout_s: float = 5.0) -> FailoverChatModel:
    return FailoverChatModel(
        [server.model(p) for p in ("anthropic", "openai", "gemini")],
        attempt_timeout_s=attempt_timeout_s,
    )


def run(model: ChatModel, *, budget_s: float = 10.0) -> list[Any]:
    async def _events() -> list[Any]:
        stream = model.stream([QUESTION], TOOLS, system=SYSTEM, timeout_s=budget_s)
        return [event async for event in stream]

    return asyncio.run(_events())


def text(events: list[Any]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_primary_answers_when_it_can(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_answer.sse"))
    assert text(run(failover(llm_server))) == ANSWER
    assert llm_server.paths() == [ANTHROPIC_PATH]


def test_primary_500_secondary_answers(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_api_error.json", 500))
    llm_server.answer(OPENAI_PATH, Replay("openai_answer.sse"))

    events = run(failover(llm_server))

    assert text(events) == ANSWER
    assert isinstance(events[-1], Finished)
    assert llm_server.paths() == [ANTHROPIC_PATH, OPENAI_PATH]


def test_primary_stalls_secondary_answers_within_the_budget(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Stall())
    llm_server.answer(OPENAI_PATH, Replay("openai_answer.sse"))

    events = run(failover(llm_server, attempt_timeout_s=0.3), budget_s=20.0)

    assert text(events) == ANSWER
    assert llm_server.paths() == [ANTHROPIC_PATH, OPENAI_PATH]


def test_rejected_request_fails_over_and_is_logged(
    llm_server: LoopbackLLM, caplog: pytest.LogCaptureFixture
) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_authentication_error.json", 401))
    llm_server.answer(OPENAI_PATH, Replay("openai_answer.sse"))

    with caplog.at_level(logging.WARNING):
        assert text(run(failover(llm_server))) == ANSWER

    refused = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert refused and "HTTP 401" in refused[0].getMessage()


def test_tool_call_before_a_failure_is_held_back(llm_server: LoopbackLLM) -> None:
    """The failed provider's tool call never reaches the caller; the secondary's does."""
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_tool_use_then_overloaded.sse"))
    llm_server.answer(OPENAI_PATH, Replay("openai_tool_calls.sse"))

    events = run(failover(llm_server))

    calls = [e.call for e in events if isinstance(e, ToolCallRequested)]
    assert [c.id for c in calls] == ["call_Vk3mX9qTz2LpW8sRb4NcYd1E"]
    assert events[-1] == Finished("tool_use", events[-1].usage)


def test_no_failover_once_text_was_streamed(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_overloaded_mid_stream.sse"))
    llm_server.answer(OPENAI_PATH, Replay("openai_answer.sse"))
    received: list[Any] = []

    async def _consume() -> None:
        async for event in failover(llm_server).stream([QUESTION], TOOLS, timeout_s=10.0):
            received.append(event)

    with pytest.raises(ProviderError) as info:
        asyncio.run(_consume())

    assert not isinstance(info.value, AllProvidersFailed)
    assert info.value.provider == "anthropic"
    assert received == [TextDelta("Done.")]
    assert llm_server.paths() == [ANTHROPIC_PATH]


def test_all_providers_down_is_one_typed_error(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_overloaded.json", 529))
    llm_server.answer(OPENAI_PATH, Replay("openai_server_error.json", 500))
    llm_server.answer(GEMINI_PATH, Replay("gemini_unavailable.json", 503))

    with pytest.raises(AllProvidersFailed) as info:
        run(failover(llm_server))

    assert [f.provider for f in info.value.failures] == ["anthropic", "openai", "gemini"]
    assert info.value.retryable
    assert llm_server.paths() == [ANTHROPIC_PATH, OPENAI_PATH, GEMINI_PATH]


def test_budget_spent_on_a_stall_leaves_no_attempt_for_the_rest(llm_server: LoopbackLLM) -> None:
    """The attempt budget never exceeds the turn's: one stalling provider can use it all."""
    llm_server.answer(ANTHROPIC_PATH, Stall())

    with pytest.raises(AllProvidersFailed) as info:
        run(failover(llm_server, attempt_timeout_s=5.0), budget_s=0.3)

    assert [str(f) for f in info.value.failures] == ["anthropic: timed out"]
    assert llm_server.paths() == [ANTHROPIC_PATH]


def test_barge_in_closes_the_attempt_without_failing_over(llm_server: LoopbackLLM) -> None:
    llm_server.answer(ANTHROPIC_PATH, Replay("anthropic_answer.sse"))

    async def _first_words() -> Any:
        stream = failover(llm_server).stream([QUESTION], TOOLS, timeout_s=10.0)
        first = await anext(stream)
        await stream.aclose()  # type: ignore[attr-defined]
        return first

    assert asyncio.run(_first_words()) == TextDelta("Done.")
    assert llm_server.paths() == [ANTHROPIC_PATH]
