"""The caller's identity over HTTP: twilio_webhook reaches agent_turn (AGENT_URL) with a service
token whose signed `phone` claim is the number Twilio reported, so a booking made on the call is
under the caller's number (not the account's), and the turn knows the caller's name from their
account. A user's own token carries no phone; a malformed phone claim is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cloudevents.http import CloudEvent
from convonet.agent import turn as turn_module
from convonet.auth.tokens import (
    ALGORITHM,
    SERVICE_AUDIENCE,
    TokenError,
    decode_service_token,
    issue_service_token,
    issue_user_token,
)
from convonet.clock import FakeClock
from convonet.config import get_settings
from convonet.db.engine import session_scope
from convonet.db.models import Reservation
from convonet.events import AgentInteractionEvent
from convonet.events.handlers import decode_cloud_event
from convonet.events.local import LocalEventBus
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.telephony.simulator import CallSimulator
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.fixtures.twilio import Caller
from tests.integration.test_reservations_fixtures import SATURDAY, seed_hanok
from tests.integration.test_twilio_budget import agent_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_ACCOUNT_PHONE = "+14155550101"
CALLING_FROM = "+14155550177"
BOOKING = {"guest_name": "Ana Lee", "party_size": 2, "starts_at": f"{SATURDAY}T19:00"}


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    seed_hanok()
    return make_caller("ana", phone=ANA_ACCOUNT_PHONE, pin="2468")


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def interactions(local_bus: LocalEventBus) -> Callable[[], list[AgentInteractionEvent]]:
    received: list[Any] = []

    def record(cloud_event: CloudEvent) -> None:
        received.append(decode_cloud_event(cloud_event).event)

    local_bus.subscribe(AgentInteractionEvent.TOPIC, record, name="test_recorder")

    def events() -> list[AgentInteractionEvent]:
        assert local_bus.drain()
        return received

    return events


def booked_phones() -> list[str | None]:
    with session_scope() as session:
        return list(session.scalars(select(Reservation.guest_phone_e164)))


def books_a_table(model: ScriptedChatModel) -> None:
    model.responses = [call_tool("create_reservation", BOOKING, "t1"), say("You're booked.")]


def test_a_booking_on_a_call_over_http_is_under_the_number_calling(
    make_call: Callable[..., CallSimulator],
    ana: Caller,
    model: ScriptedChatModel,
    agent_server: str,  # noqa: F811
    interactions: Callable[[], list[AgentInteractionEvent]],
) -> None:
    call = make_call(CALLING_FROM)
    call.start()
    assert call.press("2468#").spoken.startswith("Hi Ana,")
    books_a_table(model)
    answer = call.say("Book a table for two on Saturday at seven")
    assert answer.spoken == "You're booked."
    assert booked_phones() == [CALLING_FROM]
    [turn] = interactions()
    assert (turn.channel, turn.user_id, turn.user_name) == ("phone", ana.id, "Ana Lee")


def service_turn(client: FlaskClient, token: str, prompt: str) -> Any:
    return client.post(
        "/agent/process",
        json={"prompt": prompt, "session_id": "CA" + "1" * 32, "channel": "phone"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_phone_claim_reaches_the_tools(
    function_client: Callable[[str], FlaskClient], ana: Caller, model: ScriptedChatModel
) -> None:
    client = function_client("agent_turn")
    books_a_table(model)
    token = issue_service_token(ana.id, "twilio_webhook", phone=CALLING_FROM)
    assert service_turn(client, token, "book a table").status_code == 200
    assert booked_phones() == [CALLING_FROM]


def test_without_a_phone_claim_the_account_phone_is_used(
    function_client: Callable[[str], FlaskClient], ana: Caller, model: ScriptedChatModel
) -> None:
    client = function_client("agent_turn")
    books_a_table(model)
    user_token = issue_user_token(ana.id, ["user"], [], "access").token
    assert service_turn(client, user_token, "book a table").status_code == 200
    assert booked_phones() == [ANA_ACCOUNT_PHONE]


def forged_phone_token(user_id: str, phone: object, clock: FakeClock) -> str:
    now = clock.now()
    claims = {
        "iss": "twilio_webhook",
        "aud": SERVICE_AUDIENCE,
        "act": user_id,
        "phone": phone,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=60)).timestamp()),
    }
    return jwt.encode(claims, get_settings().secret("service_token_secret"), algorithm=ALGORITHM)


@pytest.mark.parametrize("phone", ["415-555-0177", "+0123", 14155550177, ["+14155550177"]])
def test_a_malformed_phone_claim_is_refused(
    function_client: Callable[[str], FlaskClient],
    ana: Caller,
    model: ScriptedChatModel,
    clock: FakeClock,
    phone: object,
) -> None:
    token = forged_phone_token(ana.id, phone, clock)
    with pytest.raises(TokenError):
        decode_service_token(token)
    refused = service_turn(function_client("agent_turn"), token, "book a table")
    assert refused.status_code == 401
    assert model.calls == [] and booked_phones() == []


def test_service_tokens_stay_backward_compatible(clock: FakeClock) -> None:
    plain = decode_service_token(issue_service_token("u1", "voice_gateway"))
    assert (plain.act, plain.caller, plain.phone) == ("u1", "voice_gateway", None)
    with_phone = decode_service_token(
        issue_service_token("u1", "twilio_webhook", phone=CALLING_FROM)
    )
    assert with_phone.phone == CALLING_FROM
    with pytest.raises(ValueError):
        issue_service_token("u1", "twilio_webhook", phone="not a number")
    issued = issue_service_token("u1", "twilio_webhook", phone=CALLING_FROM)
    clock.advance(61)
    with pytest.raises(TokenError, match="expired"):
        decode_service_token(issued)
