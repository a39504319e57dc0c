"""Fault: PostgreSQL restarts under traffic; the function reconnects on its own.

A private cluster (initdb on a free port, run as the `postgres` OS user when we are root;
never the shared server) holds the Hanok data. Four threads drive the real `reservations`
function (availability reads and bookings) while the server is restarted with `pg_ctl restart
-m fast`, which kills every pooled connection. Only requests in flight during the restart may
fail; every request that starts after it succeeds (a booking's pool ping replaces a dead
connection; an availability read, which skips the ping, runs again on a fresh one), and a
sequential batch afterwards is all 2xx.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from convonet.config import Settings
from convonet.db.engine import reset_engine
from convonet.db.migrate import upgrade
from flask.testing import FlaskClient

from tests.integration.test_reservations_fixtures import SATURDAY, booking, seed_hanok, seed_users

pytestmark = pytest.mark.usefixtures("use_local_state", "clock", "local_bus")

PG_BIN = Path("/usr/lib/postgresql/15/bin")
WORKERS = 4
BASE = "/api/reservations"


def _as_postgres() -> list[str]:
    """initdb refuses to run as root: run the cluster as the `postgres` OS user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg_ctl(data: Path, *args: str) -> None:
    """pg_ctl, its server's output to the log file (a pipe would keep us waiting on it)."""
    log = str(data.parent / "server.log")
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", log, "-w", *args],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )


@pytest.fixture
def private_pg() -> Iterator[tuple[str, Callable[[], None]]]:
    """URL of a throwaway cluster and a function that restarts it."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries missing in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="convonet-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run(
        [*_as_postgres(), str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        + ["--no-sync", "--no-instructions"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    _pg_ctl(data, "-o", options, "start")
    try:
        yield (
            f"postgresql+pg8000://postgres@127.0.0.1:{port}/postgres",
            lambda: _pg_ctl(data, "-m", "fast", "-o", options, "restart"),
        )
    finally:
        reset_engine()
        _pg_ctl(data, "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Outcome:
    started: float
    ended: float
    status: int


def _drive(client: FlaskClient, worker: int, stop: threading.Event, out: list[Outcome]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        started = time.monotonic()
        if n % 3:
            response = client.get(f"{BASE}/availability?date={SATURDAY}&party_size=4")
        else:
            phone = f"+1415556{worker:01d}{n % 1000:03d}"
            minutes = 30 * (n % 18)
            at = f"{SATURDAY}T{11 + (30 + minutes) // 60:02d}:{(30 + minutes) % 60:02d}:00"
            response = client.post(BASE, json=booking(guest_phone=phone, starts_at=at))
        out.append(Outcome(started, time.monotonic(), response.status_code))


def test_requests_after_a_restart_all_succeed(
    private_pg: tuple[str, Callable[[], None]],
    configure: Callable[..., Settings],
    function_client: Callable[[str], FlaskClient],
) -> None:
    url, restart = private_pg
    upgrade(url)
    configure(DATABASE_URL=url, DB_POOL_SIZE=WORKERS)
    reset_engine()
    seed_hanok()
    seed_users()
    outcomes: list[Outcome] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=_drive, args=(function_client("reservations"), n, stop, outcomes))
        for n in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # traffic on warm pooled connections before the fault
    restart_began = time.monotonic()
    restart()
    restart_ended = time.monotonic()
    time.sleep(1.0)  # traffic after the restart
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    failed = [o for o in outcomes if o.status >= 500]
    assert all(o.started <= restart_ended and o.ended >= restart_began for o in failed), failed
    after = [o for o in outcomes if o.started > restart_ended]
    assert len(after) > 10 and all(o.status < 500 for o in after)
    assert sum(o.ended < restart_began for o in outcomes) > 10

    client = function_client("reservations")
    statuses = [
        client.get(f"{BASE}/availability?date={SATURDAY}&party_size=2").status_code
        for _ in range(WORKERS * 3)
    ]
    assert statuses == [200] * len(statuses)
