"""`reservations` served for real on 127.0.0.1 (uvicorn + a2wsgi, as the dev server runs it):
64 concurrent connections all answered, 30 racing bookings never overbook, and schemathesis
finds no server error anywhere in the OpenAPI document.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import schemathesis
import uvicorn
from convonet.db.engine import session_scope
from convonet.db.models import ReservationTable
from convonet.localstack import http_function_app
from convonet.manifest import by_name
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import select

from tests.fixtures.devserver import free_port
from tests.integration.test_reservations_fixtures import (
    SATURDAY,
    Hanok,
    booking,
    hanok_fixture,  # noqa: F401
)

BASE = "/api/reservations"


@pytest.fixture
def served(hanok: Hanok) -> Iterator[str]:
    """The function behind a real HTTP server on loopback; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        http_function_app(by_name("reservations")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        backlog=256,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def _fire(base: str, requests: list[tuple[str, str, dict[str, object] | None]]) -> list[int]:
    """Send every request at once, each on its own connection; return the status codes."""
    barrier = threading.Barrier(len(requests))

    def send(request: tuple[str, str, dict[str, object] | None]) -> int:
        method, path, body = request
        with httpx.Client(base_url=base, timeout=60) as client:
            barrier.wait()
            return client.request(method, path, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_64_concurrent_connections_are_all_answered(served: str) -> None:
    availability = ("GET", f"{BASE}/availability?date={SATURDAY}&party_size=4", None)
    requests = [availability] * 32 + [
        ("POST", BASE, booking(guest_name=f"Guest {n}", waitlist_if_full=n % 2 == 0))
        for n in range(32)
    ]
    statuses = _fire(served, requests)
    assert statuses[:32] == [200] * 32
    assert sorted(set(statuses[32:])) <= [201, 409]
    assert statuses[32:].count(201) >= 10


def test_30_racing_bookings_over_http_fill_exactly_the_tables(served: str) -> None:
    requests = [("POST", BASE, booking(guest_name=f"Guest {n}")) for n in range(30)]
    statuses = _fire(served, requests)
    assert (statuses.count(201), statuses.count(409)) == (10, 20)
    with session_scope() as session:
        holds = session.scalars(select(ReservationTable)).all()
    assert len({h.table_id for h in holds}) == len(holds) == 10


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error(
    served: str, hanok: Hanok, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{served}{BASE}/openapi.json")
    staff = hanok.staff_headers()
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=12,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=staff, timeout=30)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        with contextlib.suppress(Unsatisfiable):  # no invalid input exists (e.g. GET /menu)
            check()
    assert failures == []
    assert len(statuses) > 100, "schemathesis barely ran"
