"""The MCP server: a real `mcp` client over streamable HTTP (the function on a loopback server)
and over stdio (`python -m convonet.mcp`); bearer tokens required, calls scoped to the token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import functions_framework
import httpx
import httpx2
import pytest
import uvicorn
from convonet.auth.tokens import issue_user_token
from convonet.db.engine import session_scope
from convonet.db.migrate import upgrade
from convonet.db.models import CrmRecord, KnowledgeArticle, User
from convonet.manifest import by_name
from convonet.tools import get_registry
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import select
from sqlalchemy.orm import Session

ARTICLE = KnowledgeArticle(
    slug="hanok-hours",
    title="Hanok opening hours",
    body="Hanok is open every day from 11:30 to 22:00.",
    tags=["hours"],
    domain="restaurant",
)


def _seed(session: Session) -> dict[str, str]:
    """Two users and one article; returns access tokens by name and the users' ids."""
    session.merge(ARTICLE)
    out = {}
    for name in ("alice", "bob"):
        user = User(email=f"{name}@example.com", password_hash="x", display_name=name)
        session.add(user)
        session.flush()
        out[name] = issue_user_token(user.id, ["user"], [], "access").token
        out[f"{name}_id"] = user.id
    session.commit()
    return out


@pytest.fixture
def mcp_url() -> Iterator[str]:
    """mcp_server loaded by functions-framework (ASGI) and served by uvicorn on loopback."""
    spec = by_name("mcp_server")
    app = functions_framework.create_app(target=spec.entry_point, source=str(spec.source))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
    server.should_exit = True
    thread.join(10)


async def _session(url: str, token: str | None, work: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        return await work(client)


@pytest.mark.usefixtures("use_local_state")
def test_http_client_lists_and_calls_tools_as_the_token_user(
    mcp_url: str, db_session: Session
) -> None:
    seeded = _seed(db_session)

    async def work(client: Client) -> dict[str, Any]:
        listed = await client.list_tools()
        departments = await client.call_tool("get_available_departments", {})
        knowledge = await client.call_tool("search_knowledge_base", {"query": "opening hours"})
        onboard = await client.call_tool(
            "onboard_patient", {"first_name": "Al", "last_name": "Ice", "phone": "+14155550170"}
        )
        smuggled = await client.call_tool("list_recent_calls", {"user_id": seeded["bob_id"]})
        patient_id = onboard.structured_content["result"]["patient_id"]
        summary = {"patient_id": patient_id, "summary": "Asked about hours."}
        replayed = [await client.call_tool("save_call_summary", summary) for _ in range(2)]
        return {
            "listed": listed,
            "departments": departments,
            "knowledge": knowledge,
            "onboard": onboard,
            "smuggled": smuggled,
            "replayed": replayed,
        }

    got = anyio.run(_session, mcp_url, seeded["alice"], work)
    names = {tool.name for tool in got["listed"].tools}
    assert names == {tool.name for tool in get_registry().tools()}
    by_name_ = {tool.name: tool for tool in got["listed"].tools}
    assert by_name_["search_knowledge_base"].input_schema["properties"]["query"]["type"] == "string"
    assert by_name_["get_call_summary"].annotations.read_only_hint is True
    assert by_name_["delete_call_recording"].annotations.read_only_hint is False

    assert got["departments"].is_error is False
    assert got["departments"].structured_content["result"]["default"] == "support"
    hits = got["knowledge"].structured_content["result"]["results"]
    assert hits[0]["slug"] == "hanok-hours"
    assert got["onboard"].structured_content["ok"] is True
    assert got["smuggled"].is_error is True, "no tool takes a user id"
    assert got["smuggled"].structured_content["error"]["kind"] == "invalid"

    first, again = (r.structured_content["result"] for r in got["replayed"])
    assert first == again, "a replayed side-effecting call returns the first answer"
    with session_scope() as session:
        rows = session.execute(select(CrmRecord.owner_id, CrmRecord.kind)).all()
    assert sorted(kind for _, kind in rows) == ["call_summary", "patient"], "ran once"
    assert {owner for owner, _ in rows} == {seeded["alice_id"]}, "records belong to the caller"


@pytest.mark.usefixtures("migrated_db")
def test_http_refuses_requests_without_a_valid_token(mcp_url: str) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    anonymous = httpx.post(mcp_url, json=ping, headers=headers)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    forged = httpx.post(mcp_url, json=ping, headers={**headers, "Authorization": "Bearer abc"})
    assert forged.status_code == 401
    refresh = issue_user_token("someone", ["user"], [], "refresh").token
    wrong_kind = httpx.post(
        mcp_url, json=ping, headers={**headers, "Authorization": f"Bearer {refresh}"}
    )
    assert wrong_kind.status_code == 401

    async def work(client: Client) -> Any:
        return await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the SDK raises its own error for HTTP 401
        anyio.run(_session, mcp_url, None, work)

    base = mcp_url.removesuffix("/mcp")
    assert httpx.get(f"{mcp_url}/healthz").json() == {"status": "ok", "function": "mcp_server"}
    assert "/mcp" in httpx.get(f"{mcp_url}/openapi.json").json()["paths"]
    assert httpx.get(f"{base}/mcp/elsewhere").status_code == 404


@pytest.mark.usefixtures("migrated_db")
def test_http_rejects_malformed_json_rpc(mcp_url: str) -> None:
    token = issue_user_token("someone", ["user"], [], "access").token
    headers = {
        "Accept": "application/json, text/event-stream",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    broken = httpx.post(mcp_url, content=b"{not json", headers=headers)
    assert 400 <= broken.status_code < 500
    oversized = httpx.post(mcp_url, content=b'{"a":"' + b"x" * (70 * 1024) + b'"}', headers=headers)
    assert oversized.status_code == 413


def test_stdio_client(sqlite_url: str, configure: Any) -> None:
    upgrade(sqlite_url)
    configure(DATABASE_URL=sqlite_url)
    with session_scope() as session:
        seeded = _seed(session)
    env = {**os.environ, "DATABASE_URL": sqlite_url, "CONVONET_TOKEN": seeded["alice"]}
    params = StdioServerParameters(command=sys.executable, args=["-m", "convonet.mcp"], env=env)

    async def work() -> Any:
        async with Client(params) as client:
            listed = await client.list_tools()
            found = await client.call_tool("search_knowledge_base", {"query": "hours"})
            return listed, found

    listed, found = anyio.run(work)
    assert len(listed.tools) == len(get_registry())
    assert found.structured_content["result"]["results"][0]["slug"] == "hanok-hours"

    refused = subprocess.run(
        [sys.executable, "-m", "convonet.mcp"],
        env={**env, "CONVONET_TOKEN": "expired-or-forged"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "CONVONET_TOKEN" in refused.stderr
