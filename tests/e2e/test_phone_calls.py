"""Whole phone calls through the call simulator with the offline model (no API keys): PIN, a
todo and a table booked by voice, a transfer with its context, a missed transfer with a
voicemail, the end of the call, and the transcript the caller can read back afterwards.

The model is the offline one when `convonet.llm.offline` is installed, else a scripted model
making the same tool calls.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import pytest
from convonet.agent import turn as turn_module
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord, Reservation, Todo
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.state import get_state_store
from convonet.telephony.simulator import CallSimulator, describe
from convonet.telephony.transfer import CALLBACKS, load_transfer_context
from convonet.tools import ToolContext, get_registry
from sqlalchemy import select

from tests.fixtures.twilio import Caller, EventLog
from tests.integration.test_reservations_fixtures import seed_hanok

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

HAS_OFFLINE_MODEL = importlib.util.find_spec("convonet.llm.offline") is not None
CALLER = "+14155550177"


@pytest.fixture
def model() -> Iterator[None]:
    if HAS_OFFLINE_MODEL:
        yield
        return
    scripted = ScriptedChatModel(
        [
            call_tool("create_todo", {"title": "buy milk"}, "todo-1"),
            say("Added buy milk to your list."),
            call_tool(
                "create_reservation",
                {"party_size": 4, "starts_at": "2026-01-09T19:00:00", "guest_name": "Ana Lee"},
                "res-1",
            ),
            say("Your table is booked."),
            call_tool("transfer_to_agent", {"reason": "asked for a human"}, "tr-1"),
            say("Transferring you now."),
        ]
    )
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield
    turn_module.set_model_factory(previous)


def test_a_whole_call_by_voice(
    make_call: Callable[..., CallSimulator],
    make_caller: Callable[..., Caller],
    transfer_events: EventLog,
    model: None,
) -> None:
    seed_hanok()
    ana = make_caller("ana", phone="+14155550101", pin="2468")
    call = make_call(CALLER)
    assert "PIN" in call.start().spoken
    assert call.say("two four six eight").spoken.startswith("Hi Ana,")

    call.say("add a todo to buy milk")
    with session_scope() as session:
        todos = [t.title.lower() for t in session.scalars(select(Todo))]
    assert any("milk" in title for title in todos), describe(call.log)

    booking = call.say("book a table for four people at seven pm on friday")
    if "name" in booking.spoken:
        call.say("Ana Lee")
    with session_scope() as session:
        booked = session.scalars(select(Reservation)).all()
        assert [(r.party_size, r.source_channel) for r in booked] == [(4, "voice")], describe(
            call.log
        )

    dial = call.say("transfer me to a human agent")
    assert dial.sip_uri is not None, describe(call.log)
    transfer_id = dial.sip_uri.split("X-Convonet-Transfer-Id=")[1]
    context = load_transfer_context(transfer_id)
    assert context is not None and context["user_id"] == ana.id
    spoken = [line["content"] for line in context["conversation"] if line["role"] == "user"]
    assert spoken[-1] == "transfer me to a human agent"

    back = call.dial_outcome("no-answer")
    assert "call you back" in back.spoken
    assert call.say("yes").record is not None
    assert call.leave_voicemail("https://api.twilio.com/Recordings/RE1").hangs_up
    callback = get_state_store().get(CALLBACKS, transfer_id)
    assert callback is not None and callback["voicemail_url"].endswith("RE1")
    call.hang_up(duration_s=120)
    assert [e.kind for e in transfer_events.events()] == ["requested", "missed"]

    with session_scope() as session:
        record = session.scalars(select(CallRecord)).one()
        record_id, status = record.id, record.status
    assert status == "completed"
    lines = get_registry().call(
        ToolContext(user_id=ana.id), "get_call_transcript", {"call_id": record_id}
    )
    said = [line["text"] for line in lines.result["lines"] if line["speaker"] == "user"]
    assert said[:2] == [
        "add a todo to buy milk",
        "book a table for four people at seven pm on friday",
    ]
