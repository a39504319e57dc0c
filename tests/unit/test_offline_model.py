"""The offline model as a ChatModel: streaming, questions for missing slots and the answers to
them, two-step requests (look up, then act), spoken results, deterministic call ids, usage,
the routing tie-break, time zones, and what it must not do (call a tool it was not offered,
import anything heavy).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from convonet.agent.routing import TOOL_DOMAINS, decision_prompt
from convonet.clock import FakeClock
from convonet.llm import build_model
from convonet.llm.base import (
    ChatMessage,
    ChatResponse,
    Finished,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    collect,
)
from convonet.llm.offline import OfflineChatModel
from convonet.tools import get_registry

pytestmark = pytest.mark.usefixtures("clock")

LA = "The local time is 09:00 in the restaurant's time zone, America/Los_Angeles."
BOOKING = {
    "reservation_id": "res-1",
    "confirmation_code": "HNK-AB12",
    "status": "confirmed",
    "seating_status": "allocated",
    "guest_name": "Kim",
    "party_size": 4,
    "starts_at": "2026-01-09T19:00:00-08:00",
}


def toolset(domain: str) -> list[ToolSpec]:
    return [
        ToolSpec(t.name, t.description, t.json_schema())
        for t in get_registry().tools(TOOL_DOMAINS[domain])  # type: ignore[index]
    ]


def events(messages: list[ChatMessage], domain: str = "restaurant", system: str = LA) -> list[Any]:
    async def drain() -> list[Any]:
        return [
            e async for e in OfflineChatModel().stream(messages, toolset(domain), system=system)
        ]

    return asyncio.run(drain())


def reply(
    messages: list[ChatMessage], domain: str = "restaurant", system: str = LA
) -> ChatResponse:
    stream = OfflineChatModel().stream(messages, toolset(domain), system=system)
    return asyncio.run(collect(stream))


def user(text: str) -> ChatMessage:
    return ChatMessage("user", text)


def said(text: str) -> ChatMessage:
    return ChatMessage("assistant", text)


def answered(call: ToolCall, payload: dict[str, Any]) -> list[ChatMessage]:
    """The assistant's tool call and the tool's result, as the agent appends them."""
    return [
        ChatMessage("assistant", "", (call,)),
        ChatMessage("tool", json.dumps(payload), tool_call_id=call.id, name=call.name),
    ]


def only_call(response: ChatResponse) -> ToolCall:
    assert response.stop_reason == "tool_use", response.text
    (call,) = response.tool_calls
    get_registry().get(call.name).args_model.model_validate(call.arguments)
    return call


def test_it_is_the_configured_offline_provider() -> None:
    model = build_model("offline")
    assert isinstance(model, OfflineChatModel)
    assert (model.provider, model.model) == ("offline", "convonet-offline-1")


def test_a_tool_call_streams_as_one_request_then_finished() -> None:
    stream = events([user("add a todo to buy milk")], "productivity")
    assert [type(e) for e in stream] == [ToolCallRequested, Finished]
    call = stream[0].call
    assert (call.name, call.arguments) == ("create_todo", {"title": "buy milk"})
    assert call.id.startswith("offline-")
    finished = stream[-1]
    assert finished.stop_reason == "tool_use"
    assert finished.usage.input_tokens == len(LA.split()) + 6  # prompt and utterance, in words


def test_results_are_spoken_sentence_by_sentence() -> None:
    call = only_call(reply([user("book a table for 4 at 7 pm on friday under kim")]))
    history = [user("book a table for 4 at 7 pm on friday under kim")]
    stream = events([*history, *answered(call, {"ok": True, "result": BOOKING})])
    texts = [e.text for e in stream if isinstance(e, TextDelta)]
    assert texts == [
        "You're booked, Kim: a table for 4 people on Friday at 7 pm. ",
        "Your confirmation code is H N K A B 1 2.",
    ]
    assert isinstance(stream[-1], Finished) and stream[-1].stop_reason == "end_turn"
    assert stream[-1].usage.output_tokens == len("".join(texts).split())


def test_missing_slots_are_asked_for_one_at_a_time_and_the_answers_fill_them() -> None:
    history = [user("I'd like to make a reservation")]
    for answer, question in [
        ("four", "What day and time would you like?"),
        ("friday at seven", "What name should I put the reservation under?"),
        ("it's under kim lee", None),
    ]:
        response = reply(history)
        assert response.tool_calls == ()
        history += [said(response.text), user(answer)]
        if question:
            assert reply(history).text == question
    call = only_call(reply(history))
    assert call.name == "create_reservation"
    assert call.arguments == {
        "party_size": 4,
        "starts_at": "2026-01-09T19:00",
        "guest_name": "Kim Lee",
    }


def test_a_new_complete_request_wins_over_the_pending_question() -> None:
    history = [user("remind me to call mom"), said("When should I remind you?")]
    call = only_call(reply([*history, user("what's on my todo list")], "productivity"))
    assert call.name == "list_todos"
    call = only_call(reply([*history, user("tomorrow at noon")], "productivity"))
    assert call.arguments == {"text": "call mom", "remind_at": "2026-01-06T12:00:00-08:00"}


def test_declining_a_question_drops_the_request() -> None:
    history = [user("remind me to call mom"), said("When should I remind you?"), user("never mind")]
    response = reply(history, "productivity")
    assert response.tool_calls == () and response.text.startswith("Okay")


def test_completing_a_todo_finds_it_first_then_completes_it() -> None:
    history = [user("mark buy milk as done")]
    lookup = only_call(reply(history, "productivity"))
    assert (lookup.name, lookup.arguments) == (
        "list_todos",
        {"search": "buy milk", "status": "open"},
    )
    found = {"items": [{"id": "todo-7", "title": "buy milk"}], "total": 1}
    history += answered(lookup, {"ok": True, "result": found})
    complete = only_call(reply(history, "productivity"))
    assert (complete.name, complete.arguments) == ("complete_todo", {"todo_id": "todo-7"})
    done = {"id": "todo-7", "title": "buy milk", "completed": True}
    history += answered(complete, {"ok": True, "result": done})
    final = reply(history, "productivity")
    assert final.tool_calls == () and final.text == "I marked buy milk as done."


def test_an_ambiguous_lookup_asks_which_one() -> None:
    history = [user("delete the todo milk")]
    lookup = only_call(reply(history, "productivity"))
    found = {"items": [{"id": "a", "title": "buy milk"}, {"id": "b", "title": "milk the cow"}]}
    response = reply([*history, *answered(lookup, {"ok": True, "result": found})], "productivity")
    assert response.tool_calls == ()
    assert (
        response.text
        == "I found 2 todos like that: buy milk and milk the cow. Which one do you mean?"
    )


def test_changing_a_reservation_keeps_its_day_when_only_the_time_changes() -> None:
    history = [user("change my reservation to 8 pm")]
    lookup = only_call(reply(history))
    history += answered(lookup, {"ok": True, "result": {"reservations": [BOOKING]}})
    change = only_call(reply(history))
    assert change.name == "update_reservation_details"
    assert change.arguments == {"reservation_id": "res-1", "starts_at": "2026-01-09T20:00"}


def test_a_premium_cancel_asks_first_and_cancels_once_confirmed() -> None:
    history = [user("cancel my reservation")]
    lookup = only_call(reply(history))
    history += answered(lookup, {"ok": True, "result": {"reservations": [BOOKING]}})
    cancel = only_call(reply(history))
    assert cancel.arguments == {"reservation_id": "res-1"}
    refusal = {
        "kind": "conflict",
        "message": "This booking has a large pre-order. Offer the guest to reschedule instead; "
        "cancel again with retention_offer_acknowledged set to confirm.",
    }
    history += answered(cancel, {"ok": False, "error": refusal})
    offer = reply(history)
    assert offer.tool_calls == () and offer.text.endswith("Would you still like to cancel?")
    history += [said(offer.text), user("yes please cancel it")]
    lookup = only_call(reply(history))
    history += answered(lookup, {"ok": True, "result": {"reservations": [BOOKING]}})
    cancel = only_call(reply(history))
    assert cancel.arguments == {"reservation_id": "res-1", "retention_offer_acknowledged": True}


def test_a_failed_tool_is_explained_not_retried() -> None:
    history = [user("what's the status of claim 999")]
    call = only_call(reply(history, "healthcare"))
    error = {"kind": "not_found", "message": "I can't find that claim on your plan."}
    response = reply([*history, *answered(call, {"ok": False, "error": error})], "healthcare")
    assert response.tool_calls == ()
    assert response.text == "Sorry, I couldn't do that. I can't find that claim on your plan."


@pytest.mark.parametrize(
    ("tool", "arguments", "result", "spoken"),
    [
        (
            "get_deductible_status",
            {},
            {
                "met": {"formatted": "$450.00"},
                "limit": {"formatted": "$1,500.00"},
                "remaining": {"formatted": "$1,050.00"},
                "fully_met": False,
            },
            "You've met $450.00 of your $1,500.00 deductible, so $1,050.00 is left.",
        ),
        (
            "transfer_to_agent",
            {"reason": "asked"},
            {"transfer": {"department": "billing", "extension": "2002", "reason": "asked"}},
            "I'm transferring you to billing now. Please hold.",
        ),
        (
            "transfer_to_agent",
            {"department": "billing", "reason": "asked"},
            {
                "note": "There is no billing department; transferring to support.",
                "transfer": {"department": "support", "extension": "2001", "reason": "asked"},
            },
            "There's no billing department, so I'm transferring you to support. Please hold.",
        ),
        (
            "get_mortgage_application_status",
            {},
            {"status": "document_collection", "completion_percentage": 33, "missing_documents": []},
            "Your mortgage application is at the document collection stage, 33 percent complete.",
        ),
        (
            "search_seating_availability",
            {"date": "2026-01-10", "party_size": 6},
            {
                "date": "2026-01-10",
                "closed": False,
                "open_times": ["2026-01-10T17:00:00-08:00", "2026-01-10T17:30:00-08:00"],
            },
            "On Saturday I have a table for 6 at 5 pm or 5:30 pm. Which would you like?",
        ),
        (
            "some_future_tool",
            {},
            {"things": [{"name": "a"}, {"name": "b"}]},
            "I found 2 items: a and b.",
        ),
    ],
)
def test_results_are_phrased(
    tool: str, arguments: dict[str, Any], result: Any, spoken: str
) -> None:
    call = ToolCall("offline-x", tool, arguments)
    history = [user("anything"), *answered(call, {"ok": True, "result": result})]
    assert reply(history, "transfer").text == spoken


def test_only_offered_tools_are_called() -> None:
    response = reply([user("add a todo to buy milk")], "restaurant")
    assert response.tool_calls == ()
    assert "book a table" in response.text


def test_small_talk_gets_short_answers() -> None:
    assert reply([user("hello")]).text == "Hello! How can I help you today?"
    assert reply([user("thanks a lot")]).text.startswith("You're welcome")
    assert reply([user("that's all goodbye")]).text.startswith("Goodbye")
    assert reply([user("what can you do")], "productivity").text.startswith(
        "I can manage your todos"
    )


def test_call_ids_are_stable_for_the_same_conversation_and_differ_otherwise() -> None:
    first = only_call(reply([user("add a todo to buy milk")], "productivity"))
    again = only_call(reply([user("add a todo to buy milk")], "productivity"))
    later = only_call(
        reply(
            [user("add a todo to buy milk"), said("Done."), user("add a todo to buy milk")],
            "productivity",
        )
    )
    assert first.id == again.id
    assert later.id != first.id


def test_today_is_the_clock_s_day_in_the_prompt_s_time_zone(clock: FakeClock) -> None:
    clock.advance(10 * 3600)  # 03:00 UTC: Monday evening in Los Angeles, Tuesday in Seoul
    message = [user("remind me to stretch tomorrow at 8 am")]
    call = only_call(reply(message, "productivity"))
    assert call.arguments["remind_at"] == "2026-01-06T08:00:00-08:00"
    seoul = "The local time is in the restaurant's time zone, Asia/Seoul."
    call = only_call(reply(message, "productivity", system=seoul))
    assert call.arguments["remind_at"] == "2026-01-07T08:00:00+09:00"


def test_an_unknown_zone_in_the_prompt_falls_back_to_the_setting() -> None:
    call = only_call(
        reply(
            [user("remind me to stretch tomorrow at 8 am")], "productivity", "time zone, Mars/Base."
        )
    )
    assert call.arguments["remind_at"] == "2026-01-06T08:00:00-08:00"


def test_it_breaks_a_routing_tie_from_the_words() -> None:
    prompt = decision_prompt(["productivity", "restaurant"])
    for words, domain in [
        ("book a table for two tonight", "restaurant"),
        ("add a todo to buy milk", "productivity"),
        ("hmm", "productivity"),
    ]:
        stream = OfflineChatModel().stream([user(words)], (), system=prompt)
        assert asyncio.run(collect(stream)).text == domain


def test_importing_it_loads_no_sdk_and_no_langgraph() -> None:
    probe = (
        "import sys, convonet.llm.offline; "
        "print(sorted(m for m in sys.modules if m.startswith('google.genai') or m.split('.')[0] "
        "in ('langgraph', 'langchain_core', 'anthropic', 'openai', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
