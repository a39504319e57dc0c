"""call_center_api through functions-framework: every agent state transition and refusal, call
events, metrics, softphone credentials, the customer pop-up, and bad, oversized,
unauthorised and replayed input.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from convonet.auth.tokens import issue_user_token
from convonet.callcenter.agents import CALLS
from convonet.clock import FakeClock
from convonet.db.models import CallRecord, CallTranscriptLine, CrmRecord, User
from convonet.state.local import LocalStateStore
from convonet.telephony.transfer import CONTEXT
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

pytestmark = pytest.mark.usefixtures("use_local_state")

PREFIX = "/call-center/api"
CUSTOMER_PHONE = "+14155550123"


@pytest.fixture
def client(
    function_client: Callable[[str], FlaskClient], db_session: Session, clock: FakeClock
) -> FlaskClient:
    return function_client("call_center_api")


@pytest.fixture
def people(db_session: Session) -> dict[str, User]:
    """An agent (2001), a second agent (2002), a supervisor, a plain user and a customer."""
    made = {
        "agent": User(
            email="a@x.dev",
            password_hash="-",
            display_name="Ada Agent",
            roles=["user", "agent"],
            agent_extension="2001",
        ),
        "agent2": User(
            email="b@x.dev",
            password_hash="-",
            display_name="Bo Agent",
            roles=["user", "agent"],
            agent_extension="2002",
        ),
        "bare": User(email="c@x.dev", password_hash="-", display_name="No Ext", roles=["agent"]),
        "supervisor": User(
            email="s@x.dev", password_hash="-", display_name="Sue", roles=["supervisor"]
        ),
        "user": User(email="u@x.dev", password_hash="-", display_name="Uma", roles=["user"]),
        "customer": User(
            email="cust@x.dev",
            password_hash="-",
            display_name="Casey Customer",
            phone_e164=CUSTOMER_PHONE,
            roles=["user"],
        ),
    }
    db_session.add_all(made.values())
    db_session.commit()
    return made


def auth(user: User) -> dict[str, str]:
    token = issue_user_token(user.id, list(user.roles), [], "access").token
    return {"Authorization": f"Bearer {token}"}


def post(client: FlaskClient, path: str, user: User, body: Any = None, **headers: str) -> Any:
    return client.post(PREFIX + path, json=body, headers={**auth(user), **headers})


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def refused(response: Any, code: str = "illegal_transition") -> dict[str, Any]:
    assert response.status_code == 409, response.get_json()
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def state(client: FlaskClient, user: User) -> str:
    return str(ok(client.get(PREFIX + "/agent/status", headers=auth(user)))["state"])


def call(client: FlaskClient, user: User, event: str, call_id: str = "c1", **body: Any) -> Any:
    return post(client, f"/call/{event}", user, {"call_id": call_id, **body})


# A shift ----------------------------------------------------------------------------------


def test_a_shift_through_every_state(
    client: FlaskClient, people: dict[str, User], clock: FakeClock, use_local_state: LocalStateStore
) -> None:
    agent = people["agent"]
    assert state(client, agent) == "logged_out"
    login = ok(post(client, "/agent/login", agent, {}))
    assert login["state"] == "not_ready"
    assert (login["extension"], login["department"], login["name"]) == (
        "2001",
        "support",
        "Ada Agent",
    )
    clock.advance(60)
    assert ok(post(client, "/agent/ready", agent))["state"] == "ready"
    clock.advance(30)
    ringing = ok(call(client, agent, "ringing", call_sid="CA1", caller=CUSTOMER_PHONE))
    assert ringing["state"] == "ready" and ringing["call"]["status"] == "ringing"
    clock.advance(5)
    answered = ok(call(client, agent, "answer"))
    assert answered["state"] == "on_call" and answered["time_in_state_s"] == 0
    clock.advance(40)
    assert ok(call(client, agent, "hold"))["call"]["status"] == "held"
    clock.advance(20)
    assert ok(call(client, agent, "unhold"))["call"]["hold_s"] == 20
    clock.advance(60)
    wrapped = ok(call(client, agent, "transfer", target="2002", mode="attended"))
    assert wrapped["state"] == "wrap_up"
    assert wrapped["call"]["outcome"] == "transferred"
    clock.advance(30)
    status = ok(client.get(PREFIX + "/agent/status", headers=auth(agent)))
    assert status["time_in_state_s"] == 30
    assert ok(post(client, "/agent/not-ready", agent, {"reason": "lunch"}))["not_ready_reason"] == (
        "lunch"
    )
    clock.advance(10)

    metrics = ok(client.get(PREFIX + "/agent/metrics", headers=auth(agent)))
    assert metrics["calls_handled"] == 1
    assert metrics["average_handle_time_s"] == 150  # answer -> end of wrap-up
    assert metrics["seconds_by_state"] == {
        "ready": 35,
        "not_ready": 70,
        "on_call": 120,
        "wrap_up": 30,
    }
    assert metrics["availability_pct"] == round(100 * 185 / 255, 1)

    record = use_local_state.get(CALLS, "c1")
    assert record is not None
    assert [e["type"] for e in record["events"]] == [
        "ringing",
        "answer",
        "hold",
        "unhold",
        "transfer",
    ]
    assert record["outcome"] == "transferred" and record["transfer_target"] == "2002"
    assert record["call_sid"] == "CA1" and record["agent_id"] == agent.id

    assert ok(post(client, "/agent/logout", agent))["state"] == "logged_out"


def test_drop_while_ringing_is_a_missed_call_and_keeps_the_state(
    client: FlaskClient, people: dict[str, User], use_local_state: LocalStateStore
) -> None:
    agent = people["agent"]
    ok(post(client, "/agent/login", agent, {}))
    ok(post(client, "/agent/ready", agent))
    ok(call(client, agent, "ringing"))
    dropped = ok(call(client, agent, "drop"))
    assert dropped["state"] == "ready" and dropped["call"] is None
    record = use_local_state.get(CALLS, "c1")
    assert record is not None and record["outcome"] == "missed"


def test_hanging_up_or_wrapping_up_ends_the_call_into_wrap_up(
    client: FlaskClient, people: dict[str, User], clock: FakeClock
) -> None:
    agent = people["agent"]
    ok(post(client, "/agent/login", agent, {}))
    ok(post(client, "/agent/ready", agent))
    for call_id, end in (("c1", "drop"), ("c2", "wrap-up")):
        ok(call(client, agent, "ringing", call_id))
        ok(call(client, agent, "answer", call_id))
        clock.advance(100)
        path = f"/call/{end}" if end == "drop" else "/agent/wrap-up"
        ended = ok(post(client, path, agent, {"call_id": call_id} if end == "drop" else None))
        assert ended["state"] == "wrap_up" and ended["call"]["outcome"] == "completed"
        clock.advance(20)
        ok(post(client, "/agent/ready", agent))
    clock.advance(20)
    ok(post(client, "/agent/logout", agent))
    metrics = ok(client.get(PREFIX + "/agent/metrics", headers=auth(agent)))
    assert metrics["calls_handled"] == 2 and metrics["average_handle_time_s"] == 120


def test_logging_out_in_wrap_up_counts_the_call_and_a_new_day_starts_at_zero(
    client: FlaskClient, people: dict[str, User], clock: FakeClock
) -> None:
    agent = people["agent"]
    ok(post(client, "/agent/login", agent, {}))
    ok(post(client, "/agent/ready", agent))
    ok(call(client, agent, "ringing"))
    ok(call(client, agent, "answer"))
    clock.advance(8 * 3600)  # 17:00 UTC -> 01:00 the next day
    ok(call(client, agent, "drop"))
    ok(post(client, "/agent/logout", agent))
    day = clock.now().date()
    today = ok(client.get(PREFIX + "/agent/metrics", headers=auth(agent)))
    assert today["calls_handled"] == 1 and today["seconds_by_state"]["on_call"] == 3600
    yesterday = ok(
        client.get(
            PREFIX + "/agent/metrics",
            query_string={"from": str(day - timedelta(days=1)), "to": str(day - timedelta(days=1))},
            headers=auth(agent),
        )
    )
    assert yesterday["calls_handled"] == 0 and yesterday["seconds_by_state"]["on_call"] == 7 * 3600


# Refusals ---------------------------------------------------------------------------------

# (setup steps, refused step, error code); a step is (path, body)
LOGIN = ("/agent/login", {})
READY = ("/agent/ready", None)
RING = ("/call/ringing", {"call_id": "c1"})
ANSWER = ("/call/answer", {"call_id": "c1"})
HOLD = ("/call/hold", {"call_id": "c1"})
DROP = ("/call/drop", {"call_id": "c1"})
TRANSFER = ("/call/transfer", {"call_id": "c1", "target": "2002"})
ILLEGAL = [
    ((), READY, "illegal_transition"),
    ((), ("/agent/not-ready", {}), "illegal_transition"),
    ((), ("/agent/logout", None), "illegal_transition"),
    ((), ("/agent/wrap-up", None), "illegal_transition"),
    ((), RING, "logged_out"),
    ((), ANSWER, "logged_out"),
    ((LOGIN,), LOGIN, "already_logged_in"),
    ((LOGIN,), ("/agent/wrap-up", None), "illegal_transition"),
    ((LOGIN, READY), ANSWER, "unknown_call"),
    ((LOGIN, READY), HOLD, "unknown_call"),
    ((LOGIN, READY, RING), HOLD, "illegal_transition"),
    ((LOGIN, READY, RING), ("/call/unhold", {"call_id": "c1"}), "illegal_transition"),
    ((LOGIN, READY, RING), ("/call/ringing", {"call_id": "c2"}), "busy"),
    ((LOGIN, READY, RING), ("/call/answer", {"call_id": "c2"}), "unknown_call"),
    ((LOGIN, READY, RING), TRANSFER, "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER), ("/agent/logout", None), "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER), READY, "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER), ("/agent/not-ready", {}), "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER), LOGIN, "already_logged_in"),
    ((LOGIN, READY, RING, ANSWER), ("/call/ringing", {"call_id": "c2"}), "busy"),
    ((LOGIN, READY, RING, ANSWER), ANSWER, "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER), ("/call/unhold", {"call_id": "c1"}), "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER, HOLD), HOLD, "illegal_transition"),
    ((LOGIN, READY, RING, ANSWER, DROP), ("/agent/wrap-up", None), "illegal_transition"),
]  # fmt: skip


@pytest.mark.parametrize("db_backend", ["sqlite"])
@pytest.mark.parametrize(("setup", "step", "code"), ILLEGAL)
def test_illegal_transitions_answer_409_and_change_nothing(
    client: FlaskClient,
    people: dict[str, User],
    setup: tuple[tuple[str, Any], ...],
    step: tuple[str, Any],
    code: str,
) -> None:
    agent = people["agent"]
    for path, body in setup:
        ok(post(client, path, agent, body))
    before = ok(client.get(PREFIX + "/agent/status", headers=auth(agent)))
    error = refused(post(client, step[0], agent, step[1]), code)
    assert error["message"]
    assert ok(client.get(PREFIX + "/agent/status", headers=auth(agent))) == before


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_repeating_ready_or_not_ready_keeps_the_time_in_state(
    client: FlaskClient, people: dict[str, User], clock: FakeClock
) -> None:
    agent = people["agent"]
    ok(post(client, "/agent/login", agent, {}))
    ok(post(client, "/agent/ready", agent))
    clock.advance(15)
    assert ok(post(client, "/agent/ready", agent))["time_in_state_s"] == 15


# Who may do what --------------------------------------------------------------------------


def test_roles_and_identity(client: FlaskClient, people: dict[str, User]) -> None:
    agent, other, sup = people["agent"], people["agent2"], people["supervisor"]
    assert client.get(PREFIX + "/agent/status").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.post(PREFIX + "/agent/ready", headers=bad).status_code == 401
    assert post(client, "/agent/login", people["user"], {}).status_code == 403
    assert post(client, "/agent/login", sup, {}).status_code == 403
    assert client.get(PREFIX + "/agents", headers=auth(agent)).status_code == 403
    refused(post(client, "/agent/login", people["bare"], {}), "no_extension")
    ok(post(client, "/agent/login", agent, {}))
    ok(post(client, "/agent/login", other, {"department": "Support"}))
    ok(post(client, "/agent/ready", other))

    mine = client.get(
        PREFIX + "/agent/status", query_string={"agent": other.id}, headers=auth(agent)
    )
    assert mine.status_code == 403
    theirs = ok(
        client.get(PREFIX + "/agent/status", query_string={"agent": other.id}, headers=auth(sup))
    )
    assert theirs["state"] == "ready" and theirs["extension"] == "2002"
    listed = ok(client.get(PREFIX + "/agents", headers=auth(sup)))["agents"]
    assert [(a["extension"], a["state"]) for a in listed] == [
        ("2001", "not_ready"),
        ("2002", "ready"),
    ]
    metrics = client.get(
        PREFIX + "/agent/metrics", query_string={"agent": other.id}, headers=auth(sup)
    )
    assert ok(metrics)["user_id"] == other.id


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_ready_agents_are_what_transfers_pick(client: FlaskClient, people: dict[str, User]) -> None:
    from convonet.telephony.transfer import ready_agent

    agent = people["agent"]
    ok(post(client, "/agent/login", agent, {}))
    assert ready_agent("support") is None
    ok(post(client, "/agent/ready", agent))
    picked = ready_agent("support")
    assert picked is not None and (picked["user_id"], picked["extension"]) == (agent.id, "2001")


# Softphone credentials --------------------------------------------------------------------


def _expected_password(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_sip_and_turn_credentials_are_short_lived_hmacs(
    client: FlaskClient, people: dict[str, User], clock: FakeClock, configure: Any
) -> None:
    configure(
        SIP_SECRET="sip-s3cret",
        SIP_WS_URL="wss://pbx.example.test:7443",
        FUSIONPBX_SIP_DOMAIN="pbx.example.test",
        SIP_CREDENTIAL_TTL_S=600,
        TURN_URLS='["stun:turn.example.test:3478", "turn:turn.example.test:3478?transport=udp"]',
        TURN_SECRET="turn-s3cret",
        TURN_CREDENTIAL_TTL_S=300,
    )
    body = ok(client.get(PREFIX + "/sip", headers=auth(people["agent"])))
    expiry = int(clock.now().timestamp())
    sip = body["sip"]
    assert sip["uri"] == "sip:2001@pbx.example.test"
    assert sip["ws_url"] == "wss://pbx.example.test:7443"
    assert sip["authorization_user"] == f"{expiry + 600}:2001"
    assert sip["password"] == _expected_password("sip-s3cret", f"{expiry + 600}:2001")
    turn = body["turn"]
    assert turn["username"] == f"{expiry + 300}:2001"
    assert turn["credential"] == _expected_password("turn-s3cret", turn["username"])
    assert body["ice_servers"] == [
        {"urls": ["stun:turn.example.test:3478"]},
        {
            "urls": ["turn:turn.example.test:3478?transport=udp"],
            "username": turn["username"],
            "credential": turn["credential"],
        },
    ]
    clock.advance(60)
    later = ok(client.get(PREFIX + "/sip", headers=auth(people["agent"])))
    assert later["sip"]["password"] != sip["password"]


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_sip_credentials_need_an_agent_with_an_extension_and_a_real_secret_in_prod(
    client: FlaskClient, people: dict[str, User], configure: Any
) -> None:
    assert client.get(PREFIX + "/sip").status_code == 401
    assert client.get(PREFIX + "/sip", headers=auth(people["supervisor"])).status_code == 403
    refused(client.get(PREFIX + "/sip", headers=auth(people["bare"])), "no_extension")
    no_turn = ok(client.get(PREFIX + "/sip", headers=auth(people["agent"])))
    assert no_turn["turn"] is None and no_turn["ice_servers"] == []
    configure(
        CONVONET_ENV="prod",
        JWT_SECRET="j" * 40,
        SERVICE_TOKEN_SECRET="s" * 40,
        PIN_HASH_SECRET="p" * 40,
        TWILIO_AUTH_TOKEN="t" * 32,
        CALENDAR_TOKEN_KEY="k" * 40,
        PUBLIC_BASE_URL="https://convonet.example",
    )
    response = client.get(PREFIX + "/sip", headers=auth(people["agent"]))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "sip_not_configured"


# Customer pop-up --------------------------------------------------------------------------


def test_customer_popup_by_transfer_call_sid_and_phone(
    client: FlaskClient,
    people: dict[str, User],
    db_session: Session,
    clock: FakeClock,
    use_local_state: LocalStateStore,
    configure: Any,
) -> None:
    configure(SUITECRM_URL="https://crm.example.test")
    customer = people["customer"]
    db_session.add_all(
        [
            CallRecord(
                owner_id=customer.id,
                call_sid="CA77",
                channel="phone",
                from_e164=CUSTOMER_PHONE,
                started_at=clock.now() - timedelta(minutes=3),
                status="transferred",
                summary="Asked about a claim.",
                lines=[
                    CallTranscriptLine(
                        seq=0, speaker="user", text="My claim was denied.", at=clock.now()
                    ),
                    CallTranscriptLine(
                        seq=1, speaker="assistant", text="Let me connect you.", at=clock.now()
                    ),
                ],
            ),
            CrmRecord(
                owner_id=customer.id,
                kind="case",
                payload={"subject": "Claim appeal"},
                external_id="abc-123",
                sync_state="synced",
            ),
        ]
    )
    db_session.commit()
    use_local_state.set(
        CONTEXT,
        "t-1",
        {
            "transfer_id": "t-1",
            "call_sid": "CA77",
            "user_id": customer.id,
            "department": "support",
            "reason": "Wants to appeal a denied claim.",
            "caller_phone": CUSTOMER_PHONE,
            "profile": {"name": "Casey Customer"},
            "conversation": [
                {"role": "user", "content": "My claim was denied."},
                {"role": "assistant", "content": "I'll transfer you to a person."},
            ],
            "summary": "Casey Customer wants a person: Wants to appeal a denied claim.",
        },
        ttl_s=3600,
    )
    agent = auth(people["agent"])
    by_transfer = ok(
        client.get(PREFIX + "/customer", query_string={"transfer_id": "t-1"}, headers=agent)
    )
    assert by_transfer["customer"] == {
        "user_id": customer.id,
        "name": "Casey Customer",
        "phone": CUSTOMER_PHONE,
        "email": "cust@x.dev",
        "known": True,
    }
    assert by_transfer["reason"] == "Wants to appeal a denied claim."
    assert by_transfer["conversation"][1] == {
        "role": "assistant",
        "text": "I'll transfer you to a person.",
    }
    assert by_transfer["crm_links"] == [
        {
            "kind": "case",
            "title": "Claim appeal",
            "sync": "synced",
            "url": "https://crm.example.test/#/cases/record/abc-123",
        }
    ]
    assert by_transfer["recent_calls"][0]["call_sid"] == "CA77"

    by_sid = ok(client.get(PREFIX + "/customer", query_string={"call_sid": "CA77"}, headers=agent))
    assert by_sid["transfer_id"] == "t-1"
    use_local_state.delete(CONTEXT, "t-1")
    from_record = ok(
        client.get(PREFIX + "/customer", query_string={"call_sid": "CA77"}, headers=agent)
    )
    assert from_record["conversation"][0] == {"role": "user", "text": "My claim was denied."}
    assert from_record["summary"] == "Asked about a claim."

    by_phone = ok(
        client.get(PREFIX + "/customer", query_string={"phone": "(415) 555-0123"}, headers=agent)
    )
    assert by_phone["customer"]["name"] == "Casey Customer"
    unknown = ok(
        client.get(PREFIX + "/customer", query_string={"phone": "+14155550999"}, headers=agent)
    )
    assert unknown["customer"]["known"] is False

    supervisor = auth(people["supervisor"])
    assert (
        client.get(
            PREFIX + "/customer", query_string={"call_sid": "CA77"}, headers=supervisor
        ).status_code
        == 200
    )
    user = auth(people["user"])
    assert (
        client.get(
            PREFIX + "/customer", query_string={"call_sid": "CA77"}, headers=user
        ).status_code
        == 403
    )
    missing = client.get(PREFIX + "/customer", query_string={"transfer_id": "t-1"}, headers=agent)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "transfer_not_found"
    assert (
        client.get(
            PREFIX + "/customer", query_string={"call_sid": "CA00"}, headers=agent
        ).status_code
        == 404
    )


@pytest.mark.parametrize("db_backend", ["sqlite"])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"transfer_id": "t-1", "phone": CUSTOMER_PHONE},
        {"phone": "not a phone"},
        {"transfer_id": "x" * 200},
        {"call_sid": "CA1", "extra": "1"},
    ],
)
def test_customer_query_must_name_one_valid_key(
    client: FlaskClient, people: dict[str, User], query: dict[str, str]
) -> None:
    response = client.get(PREFIX + "/customer", query_string=query, headers=auth(people["agent"]))
    assert response.status_code == 422, response.get_json()


# Bad and replayed input -------------------------------------------------------------------


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_malformed_oversized_and_invalid_input(
    client: FlaskClient, people: dict[str, User], configure: Any
) -> None:
    headers = auth(people["agent"])
    ok(post(client, "/agent/login", people["agent"], {}))
    raw = client.post(
        PREFIX + "/call/ringing", data="{nope", content_type="application/json", headers=headers
    )
    assert raw.status_code == 400 and raw.get_json()["error"]["code"] == "invalid_json"
    form = client.post(PREFIX + "/call/ringing", data={"call_id": "c1"}, headers=headers)
    assert form.status_code == 415
    for body in (
        {},
        {"call_id": ""},
        {"call_id": "has spaces"},
        {"call_id": "c1", "user_id": "someone-else"},
        {"call_id": "c1", "mode": "sideways"},
        ["c1"],
    ):
        response = client.post(PREFIX + "/call/ringing", json=body, headers=headers)
        assert response.status_code == 422, body
    assert post(client, "/call/transfer", people["agent"], {"call_id": "c1"}).status_code == 422
    assert post(client, "/call/explode", people["agent"], {"call_id": "c1"}).status_code == 404
    assert post(client, "/agent/login", people["agent"], {"department": "nowhere"}).status_code in (
        409,
        422,
    )
    reason = post(client, "/agent/not-ready", people["agent"], {"reason": "x" * 201})
    assert reason.status_code == 422
    bad_window = client.get(
        PREFIX + "/agent/metrics",
        query_string={"from": "2026-01-10", "to": "2026-01-01"},
        headers=headers,
    )
    assert bad_window.status_code == 422
    too_long = client.get(
        PREFIX + "/agent/metrics",
        query_string={"from": "2025-01-01", "to": "2026-01-01"},
        headers=headers,
    )
    assert too_long.get_json()["error"]["code"] == "window_too_large"
    configure(MAX_BODY_BYTES=256)
    big = client.post(
        PREFIX + "/call/ringing", json={"call_id": "c1", "caller": "x" * 400}, headers=headers
    )
    assert big.status_code == 413
    assert state(client, people["agent"]) == "not_ready"


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_unknown_department_is_refused_at_login(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = post(client, "/agent/login", people["agent"], {"department": "nowhere"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unknown_department"


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_replayed_requests_run_once(
    client: FlaskClient, people: dict[str, User], clock: FakeClock, use_local_state: LocalStateStore
) -> None:
    token = auth(people["agent"])

    def send(path: str, body: Any, key: str) -> Any:
        return client.post(PREFIX + path, json=body, headers={**token, "Idempotency-Key": key})

    first = send("/agent/login", {}, "login-1")
    again = send("/agent/login", {}, "login-1")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    ok(send("/agent/ready", None, "ready-1"))
    ring = ok(send("/call/ringing", {"call_id": "c9"}, "r9"))
    clock.advance(5)
    assert ok(send("/call/ringing", {"call_id": "c9"}, "r9")) == ring  # the first answer
    record = use_local_state.get(CALLS, "c9")
    assert record is not None and [e["type"] for e in record["events"]] == ["ringing"]
    assert send("/call/ringing", {"call_id": "c10"}, "r9").status_code == 422
    assert send("/agent/ready", None, "bad key!").status_code == 400


def test_health_and_openapi(client: FlaskClient) -> None:
    assert client.get(PREFIX + "/healthz").get_json() == {
        "status": "ok",
        "function": "call_center_api",
    }
    paths = client.get(PREFIX + "/openapi.json").get_json()["paths"]
    assert {
        "/call-center/api/agent/login",
        "/call-center/api/call/{event}",
        "/call-center/api/sip",
    } <= set(paths)
