"""`make dev`'s server, started as a real process: functions at their production paths,
migrations and demo data on first start, the web root, the voice gateway socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from convonet.manifest import http_functions

from tests.fixtures.devserver import dev_server as start_dev_server


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with start_dev_server(tmp_path_factory.mktemp("devstack")) as stack:
        yield stack.base, stack.log


def test_demo_user_logs_in(dev_server: tuple[str, Path]) -> None:
    base, log = dev_server
    response = httpx.post(
        f"{base}/api/auth/login", json={"email": "demo@convonet.dev", "password": "convonet-demo"}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    me = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["email"] == "demo@convonet.dev" and me["has_voice_pin"] is True
    assert "demo@convonet.dev" in log.read_text(), "the dev server prints the demo logins"


def test_every_function_is_mounted_at_its_paths(dev_server: tuple[str, Path]) -> None:
    base, _ = dev_server
    for spec in http_functions():
        for path in spec.paths:
            doc = httpx.get(f"{base}{path}/openapi.json")
            assert doc.status_code == 200, path
            health = httpx.get(f"{base}{path}/healthz")
            assert health.status_code == (200 if spec.built else 501), path
            assert "error" in health.json() or health.json()["status"] == "ok"


def test_web_root_is_served(dev_server: tuple[str, Path]) -> None:
    base, _ = dev_server
    response = httpx.get(f"{base}/")
    assert response.status_code == 200 and "Convonet" in response.text


def test_voice_gateway_socket_is_mounted(dev_server: tuple[str, Path]) -> None:
    base, _ = dev_server

    async def talk() -> list[dict[str, str]]:
        async with websockets.connect(base.replace("http", "ws") + "/webrtc/ws") as ws:
            await ws.send(json.dumps({"type": "authenticate", "pin": "2468"}))
            frames = [json.loads(await ws.recv())]
            await ws.send("not json")
            while frames[-1]["type"] != "error":
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
            return frames

    frames = asyncio.run(talk())
    assert frames[0]["type"] == "auth_ok" and frames[0]["session_id"]
    assert frames[0]["user_name"] == "Demo User"
    assert frames[-1]["type"] == "error", "a malformed frame gets an error, the session goes on"


def test_logs_are_json_lines_without_secrets(dev_server: tuple[str, Path]) -> None:
    base, log = dev_server
    httpx.post(
        f"{base}/api/auth/login", json={"email": "demo@convonet.dev", "password": "wrong-pass-123"}
    )
    text = log.read_text()
    assert "wrong-pass-123" not in text
    assert 'convonet-demo"' not in text
