"""The offline model: a deterministic, rule-based ChatModel for running with no API key.

It sees what any model sees (the conversation and the tool specs) and answers the same way:

- after a user message, it reads the intent and slots from the words and calls the matching
  tool among those offered, asks a short question when a slot is missing, or says what it can
  do. A reply to its own question is read together with the request it completes.
- after tool results, it either makes the second call of a two-step request (find the todo,
  then complete it) or says what happened, sentence by sentence, so speech can start early.

"Today" comes from the injectable clock, in the time zone the system prompt names (else
RESTAURANT_TIMEZONE). Tool-call ids are a hash of the conversation so far, so a retried turn
asks for the same call and the tool ledger runs it once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.llm import offline_intents as intents
from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    Finished,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
    tool_result_value,
)
from convonet.llm.offline_parsing import normalise
from convonet.llm.offline_phrasing import Speech, phrase

__all__ = ["OfflineChatModel", "respond"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_ZONE_IN_PROMPT = re.compile(r"time zone, ([A-Za-z][A-Za-z0-9_+\-/]*[A-Za-z0-9])")
_ROUTE_PROMPT = re.compile(r"Answer with exactly one word, one of: ([a-z, ]+)\.")
# How far back a chain of questions and answers is followed.
_MAX_FOLLOW_UPS = 4

_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|howdy)\b")
_THANKS = re.compile(r"\b(?:thanks|thank you|thx|cheers|appreciate it)\b")
_GOODBYE = re.compile(r"\b(?:bye|goodbye|good night|that's all|that is all|nothing else|see you)\b")
_HELP = re.compile(
    r"^(?:(?:can you )?help(?: me)?|what can you do|what do you do|what can you help "
    r"(?:me )?with|how can you help(?: me)?)(?: please)?$"
)

# What each tool lets the assistant offer, for "what can you do".
_CAPABILITIES = (
    ("create_todo", "manage your todos"),
    ("create_reminder", "set reminders"),
    ("create_calendar_event", "schedule events"),
    ("create_reservation", "book a table at Hanok"),
    ("get_reservation", "look up or cancel a reservation"),
    ("get_mortgage_application_status", "check your mortgage application"),
    ("calculate_dti_ratio", "work out your debt-to-income ratio"),
    ("get_claim_status", "check a claim"),
    ("get_deductible_status", "check your deductible and benefits"),
    ("search_providers", "find a doctor"),
    ("onboard_patient", "register a patient"),
    ("list_recent_calls", "go over your recent calls"),
    ("search_knowledge_base", "answer questions from our help articles"),
    ("transfer_to_agent", "connect you with a person"),
)


class OfflineChatModel:
    provider = "offline"
    model = "convonet-offline-1"

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        reply = respond(messages, tools, system)
        for sentence in reply.sentences():
            yield TextDelta(sentence)
        if reply.call is not None:
            yield ToolCallRequested(reply.call)
        yield Finished("tool_use" if reply.call else "end_turn", reply.usage(messages, system))


@dataclass(frozen=True)
class Reply:
    text: str = ""
    call: ToolCall | None = None

    def sentences(self) -> list[str]:
        parts = [s for s in _SENTENCE_END.split(self.text.strip()) if s]
        return [p if i == len(parts) - 1 else p + " " for i, p in enumerate(parts)]

    def usage(self, messages: Sequence[ChatMessage], system: str) -> Usage:
        said = self.text + (json.dumps(self.call.arguments) if self.call else "")
        heard = sum(_words(m.content) for m in messages) + _words(system)
        return Usage(heard, _words(said))


def respond(messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], system: str = "") -> Reply:
    """The model's whole answer to the conversation (pure apart from reading the clock)."""
    zone = _zone(system)
    now = get_clock().now().astimezone(zone)
    if not tools and (route := _ROUTE_PROMPT.search(system)):
        return _route(messages, route[1], now)
    specs = {t.name: t for t in tools}
    if not messages:
        return Reply("Hello! How can I help you today?")
    if messages[-1].role == "tool":
        return _after_tools(messages, specs, now, zone)
    if messages[-1].role == "user":
        return _after_user(messages, specs, now)
    return Reply("Is there anything else I can help with?")


# After a user message -----------------------------------------------------------------------


def _after_user(
    messages: Sequence[ChatMessage], specs: dict[str, ToolSpec], now: datetime
) -> Reply:
    text = normalise(messages[-1].content)
    if _HELP.search(text):
        return Reply(_capabilities(specs))
    plan, pending = _plan_at(messages, len(messages) - 1, now, frozenset(specs), _MAX_FOLLOW_UPS)
    if plan is None and pending and intents.is_decline(text):
        return Reply("Okay, I won't go ahead with that. Anything else?")
    if plan is None:
        return Reply(_small_talk(text, specs))
    if plan.missing:
        return Reply(intents.QUESTIONS[plan.missing[0]])
    tool, args = plan.draft.lookup or (plan.tool, plan.draft.args)
    return _call(messages, specs, tool, args)


def _plan_at(
    messages: Sequence[ChatMessage], index: int, now: datetime, offered: frozenset[str], depth: int
) -> tuple[intents.Plan | None, bool]:
    """The plan for the user message at `index`, read together with the request it answers
    when the model's last words were one of its questions; and whether they were."""
    text = normalise(messages[index].content)
    own = intents.understand(intents.Utterance(text, now), offered)
    previous, asked = _question_before(messages, index)
    if previous is None or asked is None or depth == 0:
        return own, False
    if own is None and intents.is_decline(text):
        return None, True
    if own is not None and not own.missing and asked != "retention":
        return own, True
    earlier, _ = _plan_at(messages, previous, now, offered, depth - 1)
    if earlier is None or (own is not None and own.tool != earlier.tool):
        return own, True
    return intents.answer(earlier, text, now, asked), True


def _question_before(messages: Sequence[ChatMessage], index: int) -> tuple[int | None, str | None]:
    """The previous user message and the slot the model asked about since, if it asked."""
    previous = next((i for i in range(index - 1, -1, -1) if messages[i].role == "user"), None)
    if previous is None:
        return None, None
    said = next(
        (
            m.content.strip()
            for m in reversed(messages[previous + 1 : index])
            if m.role == "assistant"
        ),
        "",
    )
    return previous, intents.SLOT_OF_QUESTION.get(said)


def _call(
    messages: Sequence[ChatMessage], specs: dict[str, ToolSpec], tool: str, args: dict[str, Any]
) -> Reply:
    spec = specs.get(tool)
    if spec is None:
        return Reply("Sorry, I can't do that here.")
    arguments = _fit(args, spec.parameters)
    return Reply(call=ToolCall(_call_id(messages, tool, arguments), tool, arguments))


def _fit(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Only the arguments the tool's schema declares (a tool may not take them all)."""
    known = schema.get("properties") or {}
    return {k: v for k, v in args.items() if k in known and v is not None}


def _call_id(messages: Sequence[ChatMessage], tool: str, arguments: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for m in messages:
        digest.update(f"{m.role}\x1f{m.content}\x1f{m.tool_call_id or ''}\x1e".encode())
    digest.update(f"{len(messages)}|{tool}|{json.dumps(arguments, sort_keys=True)}".encode())
    return "offline-" + digest.hexdigest()[:16]


def _small_talk(text: str, specs: dict[str, ToolSpec]) -> str:
    if _THANKS.search(text):
        return "You're welcome! Anything else?"
    if _GOODBYE.search(text):
        return "Goodbye, have a great day!"
    if _GREETING.search(text):
        return "Hello! How can I help you today?"
    return "Sorry, I didn't catch that. " + _capabilities(specs)


def _capabilities(specs: dict[str, ToolSpec]) -> str:
    offers = [phrase for tool, phrase in _CAPABILITIES if tool in specs][:4]
    if not offers:
        return "I can answer simple questions."
    listed = offers[0] if len(offers) == 1 else ", ".join(offers[:-1]) + " or " + offers[-1]
    return f"I can {listed}. What would you like to do?"


# After tool results -------------------------------------------------------------------------


def _after_tools(
    messages: Sequence[ChatMessage], specs: dict[str, ToolSpec], now: datetime, zone: ZoneInfo
) -> Reply:
    start = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role != "tool"), 0)
    results = [(m.name or "", tool_result_value(m.content)) for m in messages[start + 1 :]]
    calls = {c.id: c for c in messages[start].tool_calls}
    local = _localiser(zone)
    follow = _follow_up(messages, start, results, specs, now, local)
    if follow is not None:
        return follow
    speech = Speech(local, now.date())
    spoken = [
        phrase(
            name, calls[m.tool_call_id].arguments if m.tool_call_id in calls else {}, value, speech
        )
        for (name, value), m in zip(results, messages[start + 1 :], strict=True)
    ]
    return Reply(" ".join(spoken) or "Done.")


def _follow_up(
    messages: Sequence[ChatMessage],
    start: int,
    results: list[tuple[str, Any]],
    specs: dict[str, ToolSpec],
    now: datetime,
    local: Callable[[str], datetime],
) -> Reply | None:
    """The second call of a two-step request, once its lookup (the only call so far) answered."""
    user = next((i for i in range(start, -1, -1) if messages[i].role == "user"), None)
    if user is None or start != _first_answer(messages, user) or len(results) != 1:
        return None
    plan, _ = _plan_at(messages, user, now, frozenset(specs), _MAX_FOLLOW_UPS)
    name, value = results[0]
    if plan is None or plan.draft.lookup is None or plan.draft.lookup[0] != name:
        return None
    if not (isinstance(value, dict) and value.get("ok")):
        return None
    step = intents.follow_up(plan, value.get("result"), local)
    if isinstance(step, str):
        return Reply(step)
    return _call(messages, specs, *step)


def _first_answer(messages: Sequence[ChatMessage], user: int) -> int | None:
    return next(
        (i for i in range(user + 1, len(messages)) if messages[i].role == "assistant"), None
    )


# Routing tie-break --------------------------------------------------------------------------


def _route(messages: Sequence[ChatMessage], candidates: str, now: datetime) -> Reply:
    """Asked which domain should answer: the first candidate whose intent matches the words."""
    names = [c.strip() for c in candidates.split(",") if c.strip()]
    prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
    u = intents.Utterance(normalise(prompt), now)
    chosen = next(
        (
            i.domain
            for i in intents.INTENTS
            if i.domain in names
            and i.pattern.search(u.text)
            and not (i.unless and i.unless.search(u.text))
        ),
        names[0] if names else "general",
    )
    return Reply(chosen)


# Time zones ---------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _zone_named(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone(system: str) -> ZoneInfo:
    """The zone the system prompt names, else the restaurant's configured zone."""
    m = _ZONE_IN_PROMPT.search(system)
    named = _zone_named(m[1]) if m else None
    return named or _zone_named(get_settings().restaurant_timezone) or ZoneInfo("UTC")


def _localiser(zone: ZoneInfo) -> Callable[[str], datetime]:
    def local(iso: str) -> datetime:
        moment = datetime.fromisoformat(iso)
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)

    return local


def _words(text: str) -> int:
    return len(text.split())
