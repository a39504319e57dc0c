"""workspace_api end to end through functions-framework: REST for todos, teams, reminders,
calendar events, mortgage applications and the model provider; isolation between users and
teams; malformed, oversized, unauthorised and replayed input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from convonet.auth.tokens import issue_user_token
from convonet.clock import FakeClock
from flask.testing import FlaskClient

from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

API = "/convonet_todo/api"


@pytest.fixture
def client(function_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return function_client("workspace_api")


@pytest.fixture
def ana(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ana")


@pytest.fixture
def ben(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ben")


def created(client: FlaskClient, user: WorkspaceUser, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"{API}{path}", json=body, headers=user.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def code(response: Any) -> str:
    return str(response.get_json()["error"]["code"])


def test_health_and_openapi(client: FlaskClient) -> None:
    assert client.get(f"{API}/healthz").get_json() == {
        "status": "ok",
        "function": "workspace_api",
    }
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    for path in (
        "/todos/{todo_id}",
        "/teams/{team_id}/members/{user_id}",
        "/reminders/{reminder_id}",
        "/calendar/events/{event_id}",
        "/calendar/connect",
        "/calendar/oauth/callback",
        "/mortgage/applications/{application_id}",
        "/llm-provider",
        "/llm-providers",
    ):
        assert f"{API}{path}" in paths, path


def test_todo_crud(client: FlaskClient, ana: WorkspaceUser) -> None:
    todo = created(client, ana, "/todos", {"title": "Buy milk", "due_at": "2026-01-06T09:00Z"})
    assert todo["owner_id"] == ana.id and todo["due_at"] == "2026-01-06T09:00:00+00:00"
    url = f"{API}/todos/{todo['id']}"
    assert client.get(url, headers=ana.headers).get_json()["title"] == "Buy milk"
    patched = client.patch(url, json={"completed": True, "due_at": None}, headers=ana.headers)
    assert patched.get_json()["completed"] is True and patched.get_json()["due_at"] is None
    listed = client.get(f"{API}/todos?status=all&limit=1", headers=ana.headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == todo["id"]
    assert client.delete(url, headers=ana.headers).status_code == 204
    assert client.get(url, headers=ana.headers).status_code == 404


def test_reminder_and_event_crud(client: FlaskClient, ana: WorkspaceUser) -> None:
    reminder = created(
        client, ana, "/reminders", {"text": "Stretch", "remind_at": "2026-01-05T18:00:00Z"}
    )
    url = f"{API}/reminders/{reminder['id']}"
    assert client.patch(url, json={"status": "cancelled"}, headers=ana.headers).get_json()[
        "status"
    ] == ("cancelled")
    assert client.get(f"{API}/reminders?status=all", headers=ana.headers).get_json()["total"] == 1
    assert client.delete(url, headers=ana.headers).status_code == 204

    event = created(
        client,
        ana,
        "/calendar/events",
        {"title": "Demo", "starts_at": "2026-01-06T15:00:00Z", "ends_at": "2026-01-06T16:00Z"},
    )
    assert event["sync_state"] == "local_only"
    url = f"{API}/calendar/events/{event['id']}"
    moved = client.patch(url, json={"location": "Room 2"}, headers=ana.headers).get_json()
    assert moved["location"] == "Room 2"
    assert client.get(f"{API}/calendar/events", headers=ana.headers).get_json()["total"] == 1
    assert client.delete(url, headers=ana.headers).status_code == 204
    sync = client.post(f"{API}/calendar/sync", headers=ana.headers).get_json()
    assert sync["connected"] is False


def test_user_b_cannot_reach_user_a_records(
    client: FlaskClient, ana: WorkspaceUser, ben: WorkspaceUser
) -> None:
    todo = created(client, ana, "/todos", {"title": "Ana's"})
    reminder = created(
        client, ana, "/reminders", {"text": "Ana's", "remind_at": "2026-01-06T08:00:00Z"}
    )
    event = created(
        client,
        ana,
        "/calendar/events",
        {"title": "Ana's", "starts_at": "2026-01-06T10:00Z", "ends_at": "2026-01-06T11:00Z"},
    )
    application = created(client, ana, "/mortgage/applications", {"credit_score": 720})
    for path, patch in (
        (f"/todos/{todo['id']}", {"title": "Ben's"}),
        (f"/reminders/{reminder['id']}", {"text": "Ben's"}),
        (f"/calendar/events/{event['id']}", {"title": "Ben's"}),
        (f"/mortgage/applications/{application['id']}", {"credit_score": 500}),
    ):
        assert client.get(f"{API}{path}", headers=ben.headers).status_code == 404, path
        assert client.patch(f"{API}{path}", json=patch, headers=ben.headers).status_code == 404
        assert client.delete(f"{API}{path}", headers=ben.headers).status_code == 404
        assert client.get(f"{API}{path}", headers=ana.headers).status_code == 200
    for path in ("/todos", "/reminders", "/calendar/events", "/mortgage/applications", "/teams"):
        assert client.get(f"{API}{path}", headers=ben.headers).get_json()["total"] == 0, path
    assert client.get(f"{API}/todos", headers=ana.headers).get_json()["items"][0]["title"] == (
        "Ana's"
    )
    mine = client.get(f"{API}/mortgage/applications/{application['id']}", headers=ana.headers)
    assert mine.get_json()["credit_score"] == 720


def test_team_roles_through_the_api(
    client: FlaskClient,
    ana: WorkspaceUser,
    ben: WorkspaceUser,
    make_user: Callable[..., WorkspaceUser],
) -> None:
    viewer, outsider = make_user("vic"), make_user("eve")
    team = created(client, ana, "/teams", {"name": "Launch"})
    members = f"{API}/teams/{team['id']}/members"
    created(client, ana, f"/teams/{team['id']}/members", {"email": ben.email, "role": "member"})
    created(client, ana, f"/teams/{team['id']}/members", {"email": viewer.email, "role": "viewer"})
    todo = created(client, ben, "/todos", {"title": "Slides", "team_id": team["id"]})

    team_url, todo_url = f"{API}/teams/{team['id']}", f"{API}/todos/{todo['id']}"
    assert client.get(todo_url, headers=viewer.headers).status_code == 200
    assert client.patch(todo_url, json={"title": "x"}, headers=viewer.headers).status_code == 403
    assert client.delete(todo_url, headers=viewer.headers).status_code == 403
    denied = client.post(
        f"{API}/todos", json={"title": "x", "team_id": team["id"]}, headers=viewer.headers
    )
    assert denied.status_code == 403 and "viewer" in denied.get_json()["error"]["message"]
    assert client.patch(team_url, json={"name": "x"}, headers=viewer.headers).status_code == 403
    assert client.patch(team_url, json={"name": "x"}, headers=ben.headers).status_code == 403
    add = client.post(members, json={"email": outsider.email}, headers=ben.headers)
    assert add.status_code == 403

    for url in (team_url, members, todo_url):
        assert client.get(url, headers=outsider.headers).status_code == 404, url
    assert client.patch(todo_url, json={"title": "x"}, headers=outsider.headers).status_code == 404
    assert client.delete(team_url, headers=outsider.headers).status_code == 404
    assert client.get(f"{API}/todos?scope=team", headers=outsider.headers).get_json()["total"] == 0
    by_team = client.get(f"{API}/todos?team_id={team['id']}", headers=outsider.headers)
    assert by_team.status_code == 404

    role = client.patch(f"{members}/{viewer.id}", json={"role": "member"}, headers=ana.headers)
    assert role.status_code == 200 and role.get_json()["role"] == "member"
    last_owner = client.patch(f"{members}/{ana.id}", json={"role": "admin"}, headers=ana.headers)
    assert last_owner.status_code == 409
    assert client.delete(f"{members}/{ben.id}", headers=ben.headers).status_code == 204
    assert client.get(todo_url, headers=ben.headers).status_code == 404
    listed = client.get(members, headers=ana.headers).get_json()["items"]
    assert {m["email"] for m in listed} == {ana.email, viewer.email}
    assert client.delete(team_url, headers=viewer.headers).status_code == 403
    assert client.delete(team_url, headers=ana.headers).status_code == 204
    assert client.get(todo_url, headers=ana.headers).status_code == 404


def test_user_search(client: FlaskClient, ana: WorkspaceUser, ben: WorkspaceUser) -> None:
    found = client.get(f"{API}/users/search?q={ben.email}", headers=ana.headers).get_json()
    assert [u["user_id"] for u in found["items"]] == [ben.id]
    assert client.get(f"{API}/users/search?q=be", headers=ana.headers).get_json()["items"] == []


def test_mortgage_application_routes(client: FlaskClient, ana: WorkspaceUser) -> None:
    application = created(
        client, ana, "/mortgage/applications", {"annual_income_cents": 12_000_000}
    )
    url = f"{API}/mortgage/applications/{application['id']}"
    no_status = client.post(
        f"{API}/mortgage/applications", json={"status": None}, headers=ana.headers
    )
    assert no_status.status_code == 201 and no_status.get_json()["status"] == "draft"
    assert client.patch(url, json={"status": None}, headers=ana.headers).status_code == 422
    patched = client.patch(url, json={"credit_score": 760}, headers=ana.headers)
    assert patched.status_code == 200 and patched.get_json()["credit_score"] == 760
    detail = client.get(url, headers=ana.headers).get_json()
    assert detail["debts"] == [] and detail["documents"] == []
    assert client.get(
        f"{API}/mortgage/applications/not-an-id", headers=ana.headers
    ).status_code == (404)
    bad = client.patch(url, json={"credit_score": 9000}, headers=ana.headers)
    assert bad.status_code == 422
    assert client.delete(url, headers=ana.headers).status_code == 204
    assert client.get(url, headers=ana.headers).status_code == 404


def test_llm_provider_choice(client: FlaskClient, ana: WorkspaceUser, configure: Any) -> None:
    url = f"{API}/llm-provider"
    assert client.get(url, headers=ana.headers).get_json() == {
        "provider": "offline",
        "source": "default",
    }
    providers = client.get(f"{API}/llm-providers", headers=ana.headers).get_json()["items"]
    assert {p["id"]: p["available"] for p in providers} == {
        "offline": True,
        "anthropic": False,
        "openai": False,
        "gemini": False,
    }
    refused = client.put(url, json={"provider": "anthropic"}, headers=ana.headers)
    assert refused.status_code == 422 and code(refused) == "provider_unavailable"
    configure(ANTHROPIC_API_KEY="sk-ant-test")
    chosen = client.put(url, json={"provider": "anthropic"}, headers=ana.headers)
    assert chosen.get_json() == {"provider": "anthropic", "source": "user"}
    assert client.get(url, headers=ana.headers).get_json()["provider"] == "anthropic"
    reset = client.put(url, json={"provider": None}, headers=ana.headers)
    assert reset.get_json()["source"] == "default"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/todos"),
        ("post", "/todos"),
        ("get", "/teams"),
        ("get", "/reminders"),
        ("get", "/calendar/events"),
        ("get", "/calendar/connection"),
        ("get", "/mortgage/applications"),
        ("put", "/llm-provider"),
        ("get", "/llm-providers"),
    ],
)
def test_every_route_needs_a_valid_token(
    client: FlaskClient, ana: WorkspaceUser, method: str, path: str
) -> None:
    body = {"title": "x"} if method == "post" else {"provider": "offline"}
    send = getattr(client, method)
    kwargs = {"json": body} if method in ("post", "put") else {}
    assert send(f"{API}{path}", **kwargs).status_code == 401
    forged = {"Authorization": "Bearer " + ana.token[:-3] + "abc"}
    assert send(f"{API}{path}", headers=forged, **kwargs).status_code == 401
    refresh = issue_user_token(ana.id, ["user"], [], "refresh").token
    wrong_kind = {"Authorization": f"Bearer {refresh}"}
    assert send(f"{API}{path}", headers=wrong_kind, **kwargs).status_code == 401


def test_expired_tokens_are_refused(
    client: FlaskClient, ana: WorkspaceUser, clock: FakeClock
) -> None:
    clock.advance(31 * 60)
    response = client.get(f"{API}/todos", headers=ana.headers)
    assert response.status_code == 401 and code(response) == "token_expired"


def test_malformed_and_invalid_bodies(client: FlaskClient, ana: WorkspaceUser) -> None:
    headers = {**ana.headers, "Content-Type": "application/json"}
    assert client.post(f"{API}/todos", data="{not json", headers=headers).status_code == 400
    assert client.post(f"{API}/todos", data="[]", headers=headers).status_code == 422
    as_form = client.post(f"{API}/todos", data={"title": "x"}, headers=ana.headers)
    assert as_form.status_code == 415
    for body in (
        {},
        {"title": ""},
        {"title": "x", "priority": "someday"},
        {"title": "x", "owner_id": ana.id},
        {"title": "nul\u0000byte"},
        {"title": "x", "due_at": "yesterday"},
        {"title": "x", "timezone": "Atlantis/Capital"},
    ):
        response = client.post(f"{API}/todos", json=body, headers=ana.headers)
        assert response.status_code == 422, body
    far = client.post(
        f"{API}/todos",
        json={"title": "x", "due_at": "9999-12-31T23:59:59-12:00"},
        headers=ana.headers,
    )
    assert far.status_code == 422
    assert client.get(f"{API}/todos?limit=101", headers=ana.headers).status_code == 422
    assert client.get(f"{API}/todos?offset=-1", headers=ana.headers).status_code == 422
    assert client.get(f"{API}/todos/%00", headers=ana.headers).status_code == 404
    assert client.patch(f"{API}/todos/x", json={"nope": 1}, headers=ana.headers).status_code == 422


def test_oversized_bodies_are_refused(client: FlaskClient, ana: WorkspaceUser) -> None:
    body = {"title": "x", "description": "y" * 70_000}
    response = client.post(f"{API}/todos", json=body, headers=ana.headers)
    assert response.status_code == 413
    assert client.get(f"{API}/todos", headers=ana.headers).get_json()["total"] == 0


def test_replayed_posts_run_once(
    client: FlaskClient, ana: WorkspaceUser, ben: WorkspaceUser
) -> None:
    key = {"Idempotency-Key": "todo-123"}
    first = client.post(f"{API}/todos", json={"title": "Once"}, headers={**ana.headers, **key})
    again = client.post(f"{API}/todos", json={"title": "Once"}, headers={**ana.headers, **key})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other_body = client.post(
        f"{API}/todos", json={"title": "Twice"}, headers={**ana.headers, **key}
    )
    assert other_body.status_code == 422
    bens = client.post(f"{API}/todos", json={"title": "Once"}, headers={**ben.headers, **key})
    assert bens.status_code == 201 and bens.get_json()["id"] != first.get_json()["id"]
    assert client.get(f"{API}/todos", headers=ana.headers).get_json()["total"] == 1

    team_key = {**ana.headers, "Idempotency-Key": "team-1"}
    team = client.post(f"{API}/teams", json={"name": "T"}, headers=team_key)
    assert client.post(f"{API}/teams", json={"name": "T"}, headers=team_key).get_json() == (
        team.get_json()
    )
    assert client.get(f"{API}/teams", headers=ana.headers).get_json()["total"] == 1


def test_paging(client: FlaskClient, ana: WorkspaceUser) -> None:
    for n in range(5):
        created(
            client, ana, "/reminders", {"text": f"r{n}", "remind_at": f"2026-01-{n + 6:02d}T08:00Z"}
        )
    first = client.get(f"{API}/reminders?limit=2", headers=ana.headers).get_json()
    assert [r["text"] for r in first["items"]] == ["r0", "r1"] and first["next_offset"] == 2
    last = client.get(f"{API}/reminders?limit=2&offset=4", headers=ana.headers).get_json()
    assert [r["text"] for r in last["items"]] == ["r4"] and last["next_offset"] is None
    assert first["total"] == last["total"] == 5
