"""The webhook answers within WEBHOOK_BUDGET_S whatever the agent does: over HTTP (AGENT_URL,
service token) and in-process; a stalled or failing agent means an apology and an offer of a
person, and "yes" transfers at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from convonet.agent import turn as turn_module
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.manifest import by_name
from convonet.telephony.simulator import CallSimulator
from werkzeug.serving import make_server

from tests.fixtures.http import load_function
from tests.fixtures.llm import LoopbackLLM, Stall
from tests.fixtures.twilio import Caller

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state")

ANA_PHONE = "+14155550101"
APOLOGY = "I'm sorry, that is taking me longer than it should."


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller("ana", phone=ANA_PHONE)


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def agent_server(configure: Callable[..., object]) -> Iterator[str]:
    """agent_turn served over real HTTP on loopback; AGENT_URL points at it."""
    spec = by_name("agent_turn")
    app = load_function(spec.entry_point, spec.source).application
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/agent"
    configure(AGENT_URL=url)
    yield url
    server.shutdown()


def offers_a_person(answer_text: str, gather_action: str | None) -> bool:
    return APOLOGY in answer_text and "offer=transfer" in (gather_action or "")


def test_the_agent_over_http_with_a_service_token(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    agent_server: str,
) -> None:
    call = make_call(ANA_PHONE)
    call.start()
    model.responses = [say("Over HTTP, all good.")]
    answer = call.say("how are things")
    assert answer.spoken == "Over HTTP, all good."
    assert model.calls[0].messages[-1].content == "how are things"


def test_a_stalled_agent_over_http_gets_an_apology_and_a_transfer_offer(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    llm_server: LoopbackLLM,
    configure: Callable[..., object],
) -> None:
    configure(AGENT_URL=f"{llm_server.url}/agent", WEBHOOK_BUDGET_S=0.6)
    llm_server.answer("/agent/process", Stall())
    call = make_call(ANA_PHONE)
    call.start()
    answer = call.say("book me a table")
    gather = answer.gather
    assert answer.status == 200
    assert offers_a_person(answer.spoken, gather.get("action") if gather is not None else None)
    seen = llm_server.seen("/agent/process")[0]
    assert seen.headers["authorization"].startswith("Bearer ")
    expected = {"prompt": "book me a table", "session_id": call.call_sid, "channel": "phone"}
    assert seen.body == expected

    transfer = call.say("Yes please.")
    assert transfer.sip_uri is not None and transfer.sip_uri.startswith("sip:2001@")
    assert "Transferring you to support" in transfer.spoken


def test_an_unreachable_agent_is_the_same_apology(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., object]
) -> None:
    configure(AGENT_URL="http://127.0.0.1:9/agent")
    call = make_call(ANA_PHONE)
    call.start()
    answer = call.say("hello")
    assert offers_a_person(answer.spoken, answer.gather.get("action") if answer.gather else None)


def test_a_stalled_model_in_process_is_cut_at_the_budget(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    configure: Callable[..., object],
) -> None:
    configure(WEBHOOK_BUDGET_S=0.4, AGENT_TIMEOUT_S=1.5)
    slow = ScriptedChatModel([say("Too late.")], latency_s=1.0)
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", slow))
    try:
        call = make_call(ANA_PHONE)
        call.start()
        answer = call.say("what's on my calendar")
        assert offers_a_person(
            answer.spoken, answer.gather.get("action") if answer.gather else None
        )
        declined = call.say("no, just tell me my calendar")
        assert declined.status == 200
    finally:
        turn_module.set_model_factory(previous)


def test_a_failing_turn_is_never_a_raw_error(
    make_call: Callable[..., CallSimulator], ana: Caller, model: ScriptedChatModel
) -> None:
    model.responses = []  # the script is empty: the model raises a provider error
    call = make_call(ANA_PHONE)
    call.start()
    answer = call.say("hello")
    assert answer.status == 200 and answer.gather is not None
    assert answer.spoken
