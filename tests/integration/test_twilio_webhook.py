"""twilio_webhook through functions-framework, driven by the call simulator with real Twilio
signatures: greeting, PIN by keypad and voice, lockout, turns, transcript, status, recording,
stream mode, and what a retried webhook does (nothing twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from convonet.agent import turn as turn_module
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.telephony.simulator import CallSimulator
from convonet.telephony.stream_token import verify_stream_token
from convonet.tools import ToolContext, get_registry
from sqlalchemy import select

from tests.fixtures.twilio import Caller

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_PHONE = "+14155550101"
STRANGER = "+14155550177"


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller("ana", phone=ANA_PHONE, pin="2468")


def call_record(call: CallSimulator) -> CallRecord:
    with session_scope() as session:
        record = session.scalars(
            select(CallRecord).where(CallRecord.call_sid == call.call_sid)
        ).one()
        session.expunge(record)
        return record


def transcript(caller: Caller, call: CallSimulator) -> list[tuple[str, str]]:
    registry = get_registry()
    found = registry.call(
        ToolContext(user_id=caller.id), "get_call_transcript", {"call_id": call_record(call).id}
    )
    return [(line["speaker"], line["text"]) for line in found.result["lines"]]


def test_a_known_number_is_greeted_by_name_and_talks(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = make_call(ANA_PHONE)
    greeting = call.start()
    assert greeting.status == 200
    assert greeting.spoken == "Hi Ana, this is Convonet. How can I help you today?"
    gather = greeting.gather
    assert gather is not None and gather.get("input") == "speech"
    assert gather.get("bargeIn") == "true"
    assert gather.get("action", "").startswith("http://127.0.0.1:8080/twilio/voice/turn?t=")

    model.responses = [say("You have two todos today.")]
    answer = call.say("What is on my list?")
    assert answer.spoken == "You have two todos today."
    assert answer.gather is not None and answer.redirect is not None
    assert model.calls[0].messages[-1].content == "What is on my list?"
    assert transcript(ana, call) == [
        ("assistant", "Hi Ana, this is Convonet. How can I help you today?"),
        ("user", "What is on my list?"),
        ("assistant", "You have two todos today."),
    ]


def test_unknown_callers_give_their_pin_by_keypad(
    make_call: Callable[..., CallSimulator], ana: Caller
) -> None:
    call = make_call(STRANGER)
    ask = call.start()
    gather = ask.gather
    assert gather is not None
    assert (gather.get("input"), gather.get("finishOnKey")) == ("dtmf speech", "#")
    assert "PIN" in ask.spoken
    welcome = call.press("2468#")
    assert welcome.spoken.startswith("Hi Ana,")
    record = call_record(call)
    assert (record.owner_id, record.from_e164, record.channel) == (ana.id, STRANGER, "phone")


@pytest.mark.parametrize("spoken", ["two four six eight", "2 4 6 8", "my pin is 2468"])
def test_the_pin_can_be_spoken(
    make_call: Callable[..., CallSimulator], ana: Caller, spoken: str
) -> None:
    call = make_call(STRANGER)
    call.start()
    assert call.say(spoken).spoken.startswith("Hi Ana,")


def test_five_wrong_pins_lock_the_number_and_the_call(
    make_call: Callable[..., CallSimulator], ana: Caller, clock: FakeClock
) -> None:
    call = make_call(STRANGER)
    call.start()
    for _ in range(4):
        retry = call.press("1111")
        assert "didn't match" in retry.spoken and retry.gather is not None
    locked = call.press("1111")
    assert locked.gather is None and locked.hangs_up and "can't verify you" in locked.spoken

    refused = make_call(STRANGER).start()
    assert refused.gather is None and refused.hangs_up, "the number stays locked on a new call"
    elsewhere = make_call("+14155550188")
    elsewhere.start()
    assert elsewhere.press("2468").spoken.startswith("Hi Ana,"), "other numbers are not locked"

    clock.advance(15 * 60 + 1)
    again = make_call(STRANGER)
    again.start()
    assert again.press("2468").spoken.startswith("Hi Ana,")


def test_a_missing_pin_is_asked_again(make_call: Callable[..., CallSimulator], ana: Caller) -> None:
    call = make_call(STRANGER)
    call.start()
    again = call.say("hello there")
    assert "didn't get a PIN" in again.spoken and again.gather is not None


def test_turns_without_a_verified_caller_ask_for_the_pin(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = make_call(STRANGER)
    call.start()
    answer = call.post("http://127.0.0.1:8080/twilio/voice/turn?t=abc", {"SpeechResult": "hi"})
    assert "PIN" in answer.spoken and model.calls == []


def test_silence_then_goodbye(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    still = call.silence()
    assert "still there" in still.spoken and still.gather is not None and still.hangs_up
    bye = call.say("Goodbye.")
    assert bye.hangs_up and "Goodbye" in bye.spoken and model.calls == []


def test_status_callback_ends_the_call_with_retention(
    make_call: Callable[..., CallSimulator], ana: Caller, clock: FakeClock
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    clock.advance(42)
    assert call.hang_up(duration_s=42).status == 200
    record = call_record(call)
    assert record.status == "completed"
    assert record.ended_at == record.started_at + timedelta(seconds=42)
    assert record.retention_until == record.started_at + timedelta(days=90)


def test_retention_is_configurable(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., object]
) -> None:
    configure(CALL_RETENTION_DAYS=7)
    call = make_call(ANA_PHONE)
    call.start()
    record = call_record(call)
    assert record.retention_until == record.started_at + timedelta(days=7)


def test_a_retried_turn_runs_once_and_gets_the_first_answer(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    model.responses = [say("Added milk."), say("This must never be said.")]
    first = call.say("add milk to my list")
    retried = call.retry()
    assert retried.text == first.text and retried.spoken == "Added milk."
    assert len(model.calls) == 1
    assert [line for line in transcript(ana, call) if line[0] == "user"] == [
        ("user", "add milk to my list")
    ]


def test_the_same_words_on_a_later_turn_are_a_new_turn(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    model.responses = [say("First."), say("Second.")]
    assert call.say("yes").spoken == "First."
    assert call.say("yes").spoken == "Second."


def test_recording_disclosure_and_recording_link(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., object]
) -> None:
    configure(CALL_RECORDING="true")
    call = make_call(ANA_PHONE)
    greeting = call.start()
    assert greeting.says[0] == "This call is recorded and transcribed to help us serve you."
    recording = greeting.root.find("Start/Recording") if greeting.root is not None else None
    assert recording is not None
    callback = recording.get("recordingStatusCallback", "")
    assert callback == "http://127.0.0.1:8080/twilio/voice/recording"
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    assert call.post(callback, {"RecordingUrl": url}).status == 200
    assert call_record(call).recording_url == url


def test_stream_mode_hands_the_call_to_the_voice_gateway(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., object]
) -> None:
    configure(TWILIO_MODE="stream", PUBLIC_BASE_URL="https://voice.example.com")
    call = make_call(STRANGER)
    call.start()
    handed = call.press("2468")
    stream = handed.stream
    assert stream is not None and stream.get("url") == "wss://voice.example.com/twilio/media"
    assert handed.spoken.startswith("Hi Ana,")
    token = handed.stream_parameters["call_token"]
    assert verify_stream_token(token) == (ana.id, call.call_sid)
