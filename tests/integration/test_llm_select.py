"""Provider choice, the adapter factory, lazy SDK imports and per-vendor tool schemas."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any, Literal

import pytest
from convonet.llm import (
    ChatMessage,
    ToolCall,
    build_failover_model,
    build_model,
    choose_provider,
    configured_providers,
    failover_order,
)
from convonet.llm.anthropic import AnthropicChatModel, to_anthropic
from convonet.llm.gemini import GeminiChatModel, gemini_schema
from convonet.llm.openai import OpenAIChatModel
from convonet.tools import get_registry
from pydantic import BaseModel, Field

KEYS = {"ANTHROPIC_API_KEY": "sk-ant", "OPENAI_API_KEY": "sk-oa", "GOOGLE_API_KEY": "AIza"}
HAS_OFFLINE = importlib.util.find_spec("convonet.llm.offline") is not None


def test_offline_is_always_configured_and_last(configure) -> None:  # type: ignore[no-untyped-def]
    assert configured_providers(configure()) == ["offline"]
    settings = configure(GOOGLE_API_KEY="AIza", ANTHROPIC_API_KEY="sk-ant")
    assert configured_providers(settings) == ["anthropic", "gemini", "offline"]


@pytest.mark.parametrize(
    ("requested", "user_setting", "llm_provider", "chosen"),
    [
        ("openai", "gemini", "anthropic", "openai"),
        (None, "gemini", "anthropic", "gemini"),
        (None, None, "anthropic", "anthropic"),
        ("Claude", None, "offline", "anthropic"),
        ("mistral", "google", "offline", "gemini"),
        (None, None, "offline", "offline"),
    ],
)
def test_request_then_user_setting_then_configuration(  # type: ignore[no-untyped-def]
    configure, requested: str | None, user_setting: str | None, llm_provider: str, chosen: str
) -> None:
    settings = configure(LLM_PROVIDER=llm_provider, **KEYS)
    assert choose_provider(requested, user_setting, settings) == chosen


def test_unconfigured_choices_are_skipped(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(LLM_PROVIDER="gemini", OPENAI_API_KEY="sk-oa")
    assert choose_provider("anthropic", "gemini", settings) == "openai"


def test_nothing_configured_means_offline(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(LLM_PROVIDER="anthropic")
    assert choose_provider("openai", None, settings) == "offline"
    assert failover_order("offline", settings) == ["offline"]


def test_failover_order_starts_with_the_choice(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(**KEYS)
    assert failover_order("gemini", settings) == ["gemini", "anthropic", "openai", "offline"]


def test_build_model_reads_model_and_base_url(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(OPENAI_MODEL="gpt-4.1", OPENAI_BASE_URL="http://127.0.0.1:9/v1", **KEYS)
    model = build_model("openai", settings=settings)
    assert isinstance(model, OpenAIChatModel)
    assert (model.provider, model.model) == ("openai", "gpt-4.1")
    assert build_model("openai", settings=settings) is model, "adapters (and clients) are reused"
    claude = build_model("claude", model="claude-haiku-5-5", settings=settings)
    assert isinstance(claude, AnthropicChatModel)
    assert claude.model == "claude-haiku-5-5"
    assert isinstance(build_model("gemini", settings=settings), GeminiChatModel)


def test_build_model_refuses_unknown_or_unconfigured(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure()
    with pytest.raises(ValueError, match="unknown"):
        build_model("mistral", settings=settings)
    with pytest.raises(ValueError, match="ANTHROPIC_API_KEY"):
        build_model("anthropic", settings=settings)


@pytest.mark.skipif(not HAS_OFFLINE, reason="convonet.llm.offline is not written yet")
def test_failover_model_ends_with_offline(configure) -> None:  # type: ignore[no-untyped-def]
    settings = configure(LLM_PROVIDER="openai", LLM_ATTEMPT_TIMEOUT_S="1.5", **KEYS)
    model = build_failover_model("gemini", settings=settings)
    assert [m.provider for m in model.models] == ["gemini", "anthropic", "openai", "offline"]
    assert model.attempt_timeout_s == 1.5


def test_importing_the_port_imports_no_sdk() -> None:
    """Light functions import convonet.llm for types; the SDKs load only when a model streams."""
    probe = (
        "import sys, json, convonet.llm, convonet.llm.base, convonet.llm.select, "
        "convonet.llm.anthropic, convonet.llm.openai, convonet.llm.gemini; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('anthropic', 'openai') or m.startswith('google.genai'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


class Address(BaseModel):
    street: str
    zip_code: str | None = Field(None, title="Zip", pattern=r"^\d{5}$")


class Booking(BaseModel, extra="forbid"):
    party_size: int = Field(ge=1, le=20, description="How many guests")
    when: str = Field(json_schema_extra={"format": "date-time"})
    day: str = Field(json_schema_extra={"format": "date"})
    seating: Literal["indoor", "patio"] | None = None
    level: Literal[1, 2] = 1
    address: Address
    others: list[Address] = []


FORBIDDEN = {"title", "additionalProperties", "$defs", "$ref", "default", "const", "$schema"}


def _keys(node: Any) -> set[str]:
    """Every schema keyword used anywhere in `node` (property names are not keywords)."""
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    if not isinstance(node, dict):
        return set()
    nested = [*node.get("properties", {}).values(), node.get("items"), *node.get("anyOf", [])]
    return set(node) | _keys(nested)


def test_gemini_schema_inlines_refs_and_drops_rejected_keys() -> None:
    schema = gemini_schema(Booking.model_json_schema())

    assert not _keys(schema) & FORBIDDEN
    props = schema["properties"]
    assert schema["type"] == "OBJECT"
    assert props["party_size"] == {
        "type": "INTEGER",
        "description": "How many guests",
        "minimum": 1,
        "maximum": 20,
    }
    assert props["when"] == {"type": "STRING", "format": "date-time"}
    assert props["day"] == {"type": "STRING", "description": "Format: date."}
    assert props["seating"] == {"type": "STRING", "enum": ["indoor", "patio"], "nullable": True}
    assert props["level"] == {"type": "INTEGER", "description": "One of [1, 2]."}
    assert props["address"]["properties"]["zip_code"] == {
        "type": "STRING",
        "pattern": r"^\d{5}$",
        "nullable": True,
    }
    assert props["others"]["items"]["required"] == ["street"]
    assert set(schema["required"]) == {"party_size", "when", "day", "address"}


def test_gemini_schema_accepts_every_registered_tool() -> None:
    from google.genai import types

    for tool in get_registry().tools():
        schema = gemini_schema(tool.json_schema())
        assert not _keys(schema) & FORBIDDEN, tool.name
        assert types.Schema.model_validate(schema).type == types.Type.OBJECT


def test_anthropic_merges_turns_and_keeps_the_system_prompt_apart() -> None:
    call_a = ToolCall("toolu_a", "get_todos", {})
    call_b = ToolCall("toolu_b", "get_reminders", {})
    system, turns = to_anthropic(
        [
            ChatMessage("system", "Caller is authenticated."),
            ChatMessage("user", "What is on my plate?"),
            ChatMessage("assistant", tool_calls=(call_a, call_b)),
            ChatMessage("tool", "[]", tool_call_id="toolu_a"),
            ChatMessage("tool", "[]", tool_call_id="toolu_b"),
        ],
        "You are Convonet.",
    )
    assert system == "You are Convonet.\n\nCaller is authenticated."
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert [b["tool_use_id"] for b in turns[2]["content"]] == ["toolu_a", "toolu_b"]
