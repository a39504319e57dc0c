"""Transfers from a phone call: one `<Dial>` to the right extension with the transfer id as a SIP
header, the context stored for the agent's pop-up, and every `<Dial>` outcome handled by
transfer_callback (hang up, or back to the assistant with a callback request and voicemail).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from convonet.agent import turn as turn_module
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord, CrmRecord
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.state import get_state_store
from convonet.telephony.simulator import CallSimulator
from convonet.telephony.transfer import AGENTS, CALLBACKS, load_transfer_context
from sqlalchemy import select

from tests.fixtures.twilio import Caller, EventLog

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_PHONE = "+14155550101"


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    caller = make_caller("ana", phone=ANA_PHONE)
    with session_scope() as session:
        session.add(
            CrmRecord(owner_id=caller.id, kind="patient", payload={}, external_id="crm-ana-1")
        )
    return caller


def transferred_call(
    make_call: Callable[..., CallSimulator], model: ScriptedChatModel, department: str = "support"
) -> CallSimulator:
    model.responses = [
        say("Your bill is 40 dollars."),
        call_tool(
            "transfer_to_agent", {"department": department, "reason": "billing question"}, "t1"
        ),
        say("Let me get you a person."),
    ]
    call = make_call(ANA_PHONE)
    call.start()
    call.say("I have a question about my bill")
    call.say("transfer me to a human agent")
    return call


def transfer_id_of(call: CallSimulator) -> str:
    sip = call.last.sip_uri if call.last else None
    assert sip is not None
    return sip.split("X-Convonet-Transfer-Id=")[1]


def test_a_transfer_dials_once_with_the_context_stored(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    transfer_events: EventLog,
    configure: Callable[..., object],
) -> None:
    configure(TRANSFER_EXTENSIONS='{"support": "2001", "sales": "2002"}')
    model.responses = [say("Your bill is 40 dollars.")]
    call = make_call(ANA_PHONE)
    call.start()
    call.say("I have a question about my bill")
    model.responses.extend(
        [
            call_tool(
                "transfer_to_agent", {"department": "sales", "reason": "billing dispute"}, "t1"
            ),
            say("Transferring you to sales now."),
        ]
    )
    dial = call.say("transfer me to a human agent")

    assert dial.root is not None and len(dial.root.findall("Dial")) == 1
    assert dial.dial is not None and dial.dial.get("answerOnBridge") == "true"
    transfer_id = transfer_id_of(call)
    assert dial.sip_uri == f"sip:2002@pbx.convonet.local?X-Convonet-Transfer-Id={transfer_id}"
    assert dial.dial.get("action") == (
        f"http://127.0.0.1:8080/twilio/transfer_callback?transfer_id={transfer_id}"
    )
    assert dial.spoken == "Transferring you to sales now."

    context = load_transfer_context(transfer_id)
    assert context is not None
    assert (context["department"], context["extension"], context["reason"]) == (
        "sales",
        "2002",
        "billing dispute",
    )
    assert (context["call_sid"], context["user_id"], context["caller_phone"]) == (
        call.call_sid,
        ana.id,
        ANA_PHONE,
    )
    assert context["profile"]["name"] == "Ana Lee"
    assert [c["external_id"] for c in context["crm_ids"]] == ["crm-ana-1"]
    said = [line["content"] for line in context["conversation"] if line["role"] == "user"]
    assert said == ["I have a question about my bill", "transfer me to a human agent"]
    assert context["summary"].startswith("Ana Lee wants a person: billing dispute.")
    assert "transfer me to a human agent" in context["summary"]

    [event] = transfer_events.events()
    assert (event.kind, event.transfer_id, event.call_sid, event.department) == (
        "requested",
        transfer_id,
        call.call_sid,
        "sales",
    )
    with session_scope() as session:
        record = session.scalars(select(CallRecord).where(CallRecord.call_sid == call.call_sid))
        assert record.one().status == "transferred"


def test_a_ready_agent_of_the_department_gets_the_call(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    store = get_state_store()
    store.set(
        AGENTS,
        "bo",
        {"user_id": "u-bo", "extension": "3001", "department": "support", "state": "on_call"},
    )
    store.set(
        AGENTS,
        "cy",
        {"user_id": "u-cy", "extension": "3002", "department": "support", "state": "ready"},
    )
    store.set(
        AGENTS,
        "di",
        {"user_id": "u-di", "extension": "3003", "department": "sales", "state": "ready"},
    )
    call = transferred_call(make_call, model)
    assert call.last is not None and call.last.sip_uri is not None
    assert call.last.sip_uri.startswith("sip:3002@")
    context = load_transfer_context(transfer_id_of(call))
    assert context is not None and context["agent_user_id"] == "u-cy"


def test_completed_transfer_ends_the_call(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    transfer_events: EventLog,
) -> None:
    call = transferred_call(make_call, model)
    transfer_id = transfer_id_of(call)
    done = call.dial_outcome("completed", duration_s=95)
    assert done.hangs_up and done.says == []
    assert get_state_store().get(CALLBACKS, transfer_id) is None
    context = load_transfer_context(transfer_id)
    assert context is not None and context["status"] == "completed"
    kinds = [(e.kind, e.outcome) for e in transfer_events.events()]
    assert kinds == [("requested", None), ("completed", "completed")]


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed"])
def test_a_missed_transfer_comes_back_with_a_callback_and_voicemail(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    transfer_events: EventLog,
    status: str,
) -> None:
    call = transferred_call(make_call, model)
    transfer_id = transfer_id_of(call)
    back = call.dial_outcome(status)
    assert "nobody in support could take your call" in back.spoken
    assert back.gather is not None and "offer=voicemail" in back.gather.get("action", "")
    callback = get_state_store().get(CALLBACKS, transfer_id)
    assert callback is not None
    assert (callback["status"], callback["department"], callback["caller_phone"]) == (
        "open",
        "support",
        ANA_PHONE,
    )
    assert callback["outcome"] == status
    assert [(e.kind, e.outcome) for e in transfer_events.events()][-1] == ("missed", status)
    with session_scope() as session:
        record = session.scalars(select(CallRecord).where(CallRecord.call_sid == call.call_sid))
        assert record.one().status == "in_progress"

    record_prompt = call.say("Yes, I'll leave a message.")
    assert record_prompt.record is not None and "After the tone" in record_prompt.spoken
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9"
    thanks = call.leave_voicemail(url)
    assert thanks.hangs_up and "message has been saved" in thanks.spoken
    stored = get_state_store().get(CALLBACKS, transfer_id)
    assert stored is not None and stored["voicemail_url"] == url


def test_after_a_missed_transfer_the_assistant_carries_on(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    call = transferred_call(make_call, model)
    call.dial_outcome("busy")
    model.responses.append(say("Sure, your balance is 40 dollars."))
    assert call.say("no, what is my balance").spoken == "Sure, your balance is 40 dollars."


def test_a_retried_callback_does_nothing_twice(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    transfer_events: EventLog,
) -> None:
    call = transferred_call(make_call, model)
    first = call.dial_outcome("busy")
    assert call.retry().text == first.text
    assert [e.kind for e in transfer_events.events()] == ["requested", "missed"]


def test_an_unknown_transfer_still_gets_a_kind_answer(
    make_call: Callable[..., CallSimulator], ana: Caller
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    url = "http://127.0.0.1:8080/twilio/transfer_callback?transfer_id=" + "f" * 32
    answer = call.post(url, {"DialCallStatus": "no-answer"})
    assert answer.status == 200 and answer.gather is not None
