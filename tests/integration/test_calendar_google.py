"""Google Calendar: the OAuth connection through workspace_api, mirroring and sync through the
tools, token refresh, revocation and outages - the real httpx client against a loopback Google
answering with recorded Calendar v3 and OAuth payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from convonet.calendar import CalendarAuthError
from convonet.calendar.crypto import seal, unseal
from convonet.clock import FakeClock
from convonet.config import ConfigError
from convonet.db.engine import session_scope
from convonet.db.models import CalendarConnection
from convonet.tools import ToolContext, get_registry
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.fixtures.google_calendar import VALID_CODE, FakeGoogle, WorkspaceUser, recording

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

API = "/convonet_todo/api"


@pytest.fixture
def client(function_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return function_client("workspace_api")


@pytest.fixture
def ana(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ana")


def tool(user: WorkspaceUser, name: str, /, **arguments: Any) -> Any:
    result = get_registry().call(ToolContext(user_id=user.id), name, arguments)
    assert result.status == "ok", result.error
    return result.result


def start(client: FlaskClient, user: WorkspaceUser) -> dict[str, list[str]]:
    response = client.post(f"{API}/calendar/connect", headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return parse_qs(urlparse(response.get_json()["authorization_url"]).query)


def connect(client: FlaskClient, user: WorkspaceUser) -> dict[str, Any]:
    state = start(client, user)["state"][0]
    response = client.get(
        f"{API}/calendar/oauth/callback", query_string={"state": state, "code": VALID_CODE}
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def stored_connection(user: WorkspaceUser) -> CalendarConnection:
    with session_scope() as session:
        found = session.scalar(
            select(CalendarConnection).where(CalendarConnection.user_id == user.id)
        )
        assert found is not None
        return found


def test_connect_flow_stores_encrypted_tokens(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    query = start(client, ana)
    assert query["client_id"] == ["test-client.apps.googleusercontent.com"]
    assert query["redirect_uri"] == [f"http://localhost{API}/calendar/oauth/callback"]
    assert query["access_type"] == ["offline"] and query["response_type"] == ["code"]
    assert query["scope"] == ["https://www.googleapis.com/auth/calendar.events"]

    callback = {"state": query["state"][0], "code": VALID_CODE}
    response = client.get(f"{API}/calendar/oauth/callback", query_string=callback)
    assert response.status_code == 200
    assert response.get_json()["connected"] is True
    exchange = google_calendar.seen("POST", "/token")[0].body
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_secret"] == "test-client-secret"
    assert exchange["redirect_uri"] == query["redirect_uri"][0]

    stored = stored_connection(ana)
    refresh_token = recording("token_exchange")["refresh_token"]
    assert refresh_token not in stored.encrypted_refresh_token
    assert unseal(stored.encrypted_refresh_token) == refresh_token
    assert stored.token_expires_at is not None

    replay = client.get(f"{API}/calendar/oauth/callback", query_string=callback)
    assert replay.status_code == 409, "a state is single-use"
    status = client.get(f"{API}/calendar/connection", headers=ana.headers).get_json()
    assert status["connected"] is True and status["configured"] is True


def test_callback_refuses_bad_states_codes_and_denials(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle, clock: FakeClock
) -> None:
    state = start(client, ana)["state"][0]

    def callback(**query: str) -> Any:
        return client.get(f"{API}/calendar/oauth/callback", query_string=query)

    assert callback(state=state[:-4] + "AAAA", code=VALID_CODE).status_code == 422
    denied = callback(state=state, error="access_denied")
    assert denied.status_code == 400 and "access_denied" in denied.get_json()["error"]["message"]
    bad_code = callback(state=state, code="4/not-a-real-code")
    assert bad_code.get_json()["error"]["code"] == "invalid_grant"
    fresh = start(client, ana)["state"][0]
    clock.advance(601)
    expired = callback(state=fresh, code=VALID_CODE)
    assert expired.status_code == 422 and expired.get_json()["error"]["code"] == "invalid_state"
    assert client.get(f"{API}/calendar/connection", headers=ana.headers).get_json()[
        "connected"
    ] is (False)


def test_connect_without_an_oauth_client_says_so(client: FlaskClient, ana: WorkspaceUser) -> None:
    response = client.post(f"{API}/calendar/connect", headers=ana.headers)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "calendar_not_configured"
    assert client.post(f"{API}/calendar/connect").status_code == 401


def test_events_are_mirrored_to_google(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    connect(client, ana)
    event = tool(
        ana,
        "create_calendar_event",
        title="Dentist",
        starts_at="2026-01-06T10:00:00",
        timezone="America/Los_Angeles",
        location="12 Main St",
    )
    assert event["synced"] is True and event["sync_state"] == "synced"
    (remote,) = google_calendar.events.values()
    assert remote["summary"] == "Dentist" and remote["location"] == "12 Main St"
    assert remote["start"] == {"dateTime": "2026-01-06T18:00:00+00:00", "timeZone": "UTC"}
    insert = google_calendar.seen("POST", "/calendar/v3")[0]
    assert (
        insert.headers["authorization"] == "Bearer " + recording("token_exchange")["access_token"]
    )

    tool(ana, "update_calendar_event", event_id=event["id"], title="Dentist (moved)")
    assert google_calendar.events[remote["id"]]["summary"] == "Dentist (moved)"
    tool(ana, "delete_calendar_event", event_id=event["id"])
    assert google_calendar.events == {} and remote["id"] in google_calendar.deleted
    assert tool(ana, "check_calendar_connection")["working"] is True


def test_sync_pushes_pending_changes_and_pulls_google_events(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    connect(client, ana)
    google_calendar.outage = True
    offline = tool(ana, "create_calendar_event", title="Gym", starts_at="2026-01-06T07:00Z")
    assert offline["synced"] is False and "unavailable" in offline["sync_note"]
    google_calendar.outage = False

    result = tool(ana, "sync_google_calendar")
    assert result["connected"] is True and result["sent_to_google"] == 1
    assert result["received_from_google"] == 3 and "sync_note" not in result
    listed = tool(ana, "list_calendar_events")["items"]
    assert [(e["title"], e["starts_at"], e["synced"]) for e in listed] == [
        ("Gym", "2026-01-06T07:00:00+00:00", True),
        ("Quarterly planning", "2026-01-07T17:30:00+00:00", True),
        ("Offsite", "2026-01-09T00:00:00+00:00", True),
    ]
    listing = google_calendar.seen("GET", "/calendar/v3")[0].query
    assert listing["singleEvents"] == ["true"] and listing["showDeleted"] == ["true"]

    google_calendar.remote_items[1] = {
        "id": google_calendar.remote_items[1]["id"],
        "status": ("cancelled"),
    }
    response = client.post(f"{API}/calendar/sync", headers=ana.headers)
    assert response.status_code == 200 and response.get_json()["removed_here"] == 1
    titles = [e["title"] for e in tool(ana, "list_calendar_events")["items"]]
    assert titles == ["Gym", "Quarterly planning"]


def test_deleting_during_an_outage_leaves_a_tombstone_for_the_next_sync(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    connect(client, ana)
    event = tool(ana, "create_calendar_event", title="Lunch", starts_at="2026-01-06T12:00Z")
    google_calendar.outage = True
    tool(ana, "delete_calendar_event", event_id=event["id"])
    assert tool(ana, "list_calendar_events")["total"] == 0
    assert len(google_calendar.events) == 1
    google_calendar.outage = False
    google_calendar.remote_items.clear()
    assert tool(ana, "sync_google_calendar")["deleted_in_google"] == 1
    assert google_calendar.events == {}


def test_expired_and_rejected_access_tokens_are_refreshed(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle, clock: FakeClock
) -> None:
    connect(client, ana)
    clock.advance(3600)
    assert tool(ana, "create_calendar_event", title="A", starts_at="2026-01-06T12:00Z")["synced"]
    refreshes = [r for r in google_calendar.seen("POST", "/token") if "refresh_token" in r.body]
    assert len(refreshes) == 1
    assert refreshes[0].body["refresh_token"] == recording("token_exchange")["refresh_token"]

    google_calendar.expire_access_tokens()
    assert tool(ana, "create_calendar_event", title="B", starts_at="2026-01-06T13:00Z")["synced"]
    assert len(google_calendar.seen("POST", "/token")) == 3, "exchange, refresh, refresh on 401"
    assert (
        unseal(stored_connection(ana).encrypted_access_token or "")
        == (recording("token_refresh")["access_token"])
    )


def test_a_grant_revoked_at_google_disconnects_but_keeps_the_event(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    connect(client, ana)
    google_calendar.revoke_all()
    event = tool(ana, "create_calendar_event", title="Call", starts_at="2026-01-06T12:00Z")
    assert event["sync_state"] == "local_only" and "revoked" in event["sync_note"]
    status = client.get(f"{API}/calendar/connection", headers=ana.headers).get_json()
    assert status["connected"] is False and status["pending_changes"] == 1
    assert tool(ana, "sync_google_calendar")["connected"] is False


def test_disconnect_revokes_the_grant_and_forgets_the_tokens(
    client: FlaskClient, ana: WorkspaceUser, google_calendar: FakeGoogle
) -> None:
    connect(client, ana)
    response = client.delete(f"{API}/calendar/connection", headers=ana.headers)
    assert response.status_code == 204
    revoke = google_calendar.seen("POST", "/revoke")[0]
    assert revoke.body["token"] == recording("token_exchange")["refresh_token"]
    stored = stored_connection(ana)
    assert stored.revoked_at is not None and stored.encrypted_refresh_token == ""
    assert stored.encrypted_access_token is None
    again = client.delete(f"{API}/calendar/connection", headers=ana.headers)
    assert again.status_code == 404
    event = tool(ana, "create_calendar_event", title="After", starts_at="2026-01-06T12:00Z")
    assert event["sync_state"] == "local_only" and google_calendar.events == {}


def test_token_key_rotation_and_production_refusal(configure: Callable[..., Any]) -> None:
    configure(CALENDAR_TOKEN_KEY="old-key")
    sealed = seal("1//refresh")
    configure(CALENDAR_TOKEN_KEY="new-key,old-key")
    assert unseal(sealed) == "1//refresh"
    configure(CALENDAR_TOKEN_KEY="new-key")
    with pytest.raises(CalendarAuthError):
        unseal(sealed)
    with pytest.raises(ConfigError, match="CALENDAR_TOKEN_KEY is the dev default"):
        configure(
            CALENDAR_TOKEN_KEY="dev-only-calendar-token-key-not-for-production", CONVONET_ENV="prod"
        )
