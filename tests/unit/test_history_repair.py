"""`is_well_formed` is the agent's fast path past `repair_history`: it must say "well formed"
exactly when a repair would change nothing, whatever the conversation holds."""

from __future__ import annotations

from typing import Any

from convonet.agent.graph import is_well_formed, repair_history
from hypothesis import given
from hypothesis import strategies as st

_IDS = st.sampled_from(["a", "b", "c"])
_USER = st.builds(lambda text: {"role": "user", "content": text}, st.sampled_from(["", "q"]))
_ASSISTANT = st.builds(
    lambda text, ids: {
        "role": "assistant",
        "content": text,
        **({"tool_calls": [{"id": i, "name": "t"} for i in ids]} if ids else {}),
    },
    st.sampled_from(["", "a"]),
    st.lists(_IDS, max_size=2, unique=True),
)
_TOOL = st.builds(
    lambda call_id: {"role": "tool", "tool_call_id": call_id, "name": "t", "content": "ok"}, _IDS
)
_OTHER = st.just({"role": "system", "content": "x"})
_CONVERSATIONS = st.lists(st.one_of(_USER, _ASSISTANT, _TOOL, _OTHER), max_size=12)


@given(_CONVERSATIONS)
def test_well_formed_exactly_when_repair_changes_nothing(messages: list[dict[str, Any]]) -> None:
    assert is_well_formed(messages) == (repair_history(messages) == messages)


@given(_CONVERSATIONS)
def test_a_repaired_conversation_is_well_formed(messages: list[dict[str, Any]]) -> None:
    assert is_well_formed(repair_history(messages))


def test_the_usual_conversation_is_well_formed() -> None:
    calls = [{"id": "a", "name": "t"}, {"id": "b", "name": "t"}]
    conversation = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": calls},
        {"role": "tool", "tool_call_id": "b", "name": "t", "content": "ok"},
        {"role": "tool", "tool_call_id": "a", "name": "t", "content": "ok"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "thanks"},
    ]
    assert is_well_formed(conversation)
    assert not is_well_formed(conversation[:3])  # call "a" still has no result
