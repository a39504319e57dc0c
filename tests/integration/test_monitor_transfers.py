"""Transfer outcomes in the agent monitor: record_interaction, subscribed through the manifest to
`transfer-events`, stores each step of a phone transfer (requested, then connected or missed)
beside the agent's turns, so a supervisor sees a missed transfer in
GET /agent-monitor/api/interactions; transfers do not count as agent turns in the statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from convonet.agent import turn as turn_module
from convonet.auth.tokens import issue_user_token
from convonet.clock import FakeClock
from convonet.events import TransferEvent
from convonet.events.local import LocalEventBus, wire_local_bus_from_manifest
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.manifest import by_name
from convonet.monitor.records import INTERACTIONS, TRANSFER_AGENT, store_transfer
from convonet.state import get_state_store
from convonet.telephony.simulator import CallSimulator
from flask.testing import FlaskClient

from tests.fixtures.twilio import Caller

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_PHONE = "+14155550101"


@pytest.fixture
def bus(local_bus: LocalEventBus) -> LocalEventBus:
    wire_local_bus_from_manifest(local_bus, [by_name("record_interaction")])
    return local_bus


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
def monitor(function_client: Callable[[str], FlaskClient]) -> Callable[..., Any]:
    client = function_client("monitor_api")
    token = issue_user_token("sup-1", ["supervisor"], [], "access").token

    def get(path: str, **query: Any) -> Any:
        response = client.get(
            f"/agent-monitor/api/{path}",
            query_string=query,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return get


def transfer_and_miss(
    make_call: Callable[..., CallSimulator],
    model: ScriptedChatModel,
    clock: FakeClock,
    dial_status: str,
) -> CallSimulator:
    model.responses = [
        call_tool("transfer_to_agent", {"department": "support", "reason": "billing"}, "t1"),
        say("Let me get you a person."),
    ]
    call = make_call(ANA_PHONE)
    call.start()
    assert call.say("transfer me to a human agent").sip_uri is not None
    clock.advance(20)
    call.dial_outcome(dial_status)
    return call


def test_a_missed_transfer_is_visible_to_supervisors(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    bus: LocalEventBus,
    monitor: Callable[..., Any],
    clock: FakeClock,
) -> None:
    call = transfer_and_miss(make_call, model, clock, "no-answer")
    assert bus.drain() and not bus.dead_letters

    listed = monitor("interactions", domain=TRANSFER_AGENT)["interactions"]
    assert [(i["status"], i["error"]) for i in listed] == [
        ("timeout", "no-answer"),
        ("success", None),
    ], "newest first: the missed outcome, then the request"
    missed, requested = listed
    assert missed["channel"] == "phone" and missed["session_id"] == call.call_sid
    assert missed["user_id"] == ana.id
    assert missed["prompt"] == "billing"
    assert missed["response"] == (
        "Transfer to support (extension 2001) missed (no-answer); a callback was requested."
    )
    assert requested["response"] == "Transfer to support (extension 2001) requested."
    assert monitor("interactions", status="timeout")["interactions"] == [missed]

    everything = monitor("interactions")["interactions"]
    assert {i["domain"] for i in everything} == {TRANSFER_AGENT, "transfer"}
    stats = monitor("stats")["stats"]
    assert stats["total_interactions"] == 1, "only the agent's turn counts as a turn"
    assert stats["percentile_sample"] == 1, "dial outcomes stay out of the turn durations"


@pytest.mark.parametrize(("dial_status", "status"), [("busy", "failed"), ("completed", "success")])
def test_every_outcome_has_a_status(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    bus: LocalEventBus,
    monitor: Callable[..., Any],
    clock: FakeClock,
    dial_status: str,
    status: str,
) -> None:
    transfer_and_miss(make_call, model, clock, dial_status)
    assert bus.drain()
    newest = monitor("interactions", domain=TRANSFER_AGENT)["interactions"][0]
    assert newest["status"] == status
    assert ("connected" in newest["response"]) == (dial_status == "completed")


def test_a_redelivered_transfer_event_is_one_record(bus: LocalEventBus) -> None:
    event = TransferEvent(
        kind="missed", transfer_id="t" * 32, department="sales", extension="2002", outcome="busy"
    )
    bus.publish(TransferEvent.TOPIC, event)
    assert bus.drain()
    store_transfer(event)
    rows = get_state_store().query(INTERACTIONS, where=[("agent", "==", TRANSFER_AGENT)])
    assert len(rows) == 1
    assert rows[0][1]["channel"] == "voice", "no CallSid: a browser transfer"
