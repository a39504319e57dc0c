"""The voice gateway in a child process, for the load and soak benches (not a bench itself).

The gateway (convonet.localstack.voice_gateway_app under uvicorn on 127.0.0.1) runs in its own
process and event loop, with bench/_voice_stubs.py's timed stub providers, so the load
generator in the parent does not steal its loop. A bench-only ASGI probe wraps the real app:

- per turn, t0 = a `text` frame enters the app, t1 = the app hands its first non-empty
  `audio_chunk` to the server; overhead = t1 - t0 - the stubs' time on the way (the probe sets
  a fresh stub record where the turn begins, so concurrent turns never mix theirs);
- event-loop lag: a task sleeping 5 ms in a loop records how late it wakes;
- GET /bench/stats (turns, lag), /bench/reset, /bench/census (after gc: RSS, asyncio tasks,
  the gateway's connections and sessions, live VoiceSession objects), /bench/profile (top
  cumulative entries under convonet, when started with --profile).

The child prints one JSON line (port, token) and stops when its stdin closes, so it ends with
the parent even if the parent is killed. The parent side is `gateway_child()`.

    .venv/bin/python bench/_voice_server.py [--latency-ms 50] [--profile] [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvloop
from _voice_stubs import PROMPT, SPENT, ProviderTime, install, prepare, recv_until, scripted

if TYPE_CHECKING:
    import cProfile

    import httpx
    import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LAG_PERIOD_S = 0.005
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


# The child ------------------------------------------------------------------------------------


@dataclass
class _OpenTurn:
    t0: float | None = None
    spent: ProviderTime = field(default_factory=ProviderTime)


class Probe:
    """The gateway app, timed per turn, with the bench's own routes beside it."""

    def __init__(self, app: App, profiler: cProfile.Profile | None) -> None:
        self.app = app
        self.profiler = profiler
        self.turns: list[tuple[str, float, float]] = []  # turn id, overhead ms, stub ms
        self.lag_ms: list[float] = []
        self.gc_ms: list[tuple[int, float]] = []  # generation, pause ms
        self._gc_started = 0.0
        gc.callbacks.append(self._time_collection)

    def _time_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            pause_ms = (time.perf_counter() - self._gc_started) * 1000
            self.gc_ms.append((info["generation"], pause_ms))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/bench/"):
            await self._report(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.app(scope, *self._timed(receive, send))
        else:
            await self.app(scope, receive, send)

    def _timed(self, receive: Receive, send: Send) -> tuple[Receive, Send]:
        turn = _OpenTurn()

        async def timed_receive() -> Message:
            message = await receive()
            if _is_typed_turn(message.get("text")):
                turn.t0, turn.spent = time.perf_counter(), ProviderTime()
                SPENT.set(turn.spent)  # this connection's task: the turn's tasks inherit it
            return message

        async def timed_send(message: Message) -> None:
            text = message.get("text")
            if turn.t0 is not None and text and _is_first_audio(text):
                elapsed_ms = (time.perf_counter() - turn.t0) * 1000
                stub_ms = turn.spent.ms()
                self.turns.append((_turn_id(text), elapsed_ms - stub_ms, stub_ms))
                turn.t0 = None
            await send(message)

        return timed_receive, timed_send

    async def watch_lag(self) -> None:
        # perf_counter, not loop.time(): uvloop's clock ticks in whole milliseconds.
        while True:
            started = time.perf_counter()
            await asyncio.sleep(LAG_PERIOD_S)
            self.lag_ms.append((time.perf_counter() - started - LAG_PERIOD_S) * 1000)

    async def _report(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.responses import JSONResponse, PlainTextResponse, Response

        response: Response
        if scope["path"] == "/bench/profile":
            text = _profile_top(self.profiler) if self.profiler else "not profiled"
            response = PlainTextResponse(text)
        else:
            response = JSONResponse(self._figures(scope["path"]))
        await response(scope, receive, send)

    def _figures(self, path: str) -> dict[str, Any]:
        if path == "/bench/stats":
            return {"turns": self.turns, "lag_ms": self.lag_ms, "gc_ms": self.gc_ms}
        if path == "/bench/census":
            return _census()
        if path == "/bench/reset":
            self.turns, self.lag_ms, self.gc_ms = [], [], []
            if self.profiler is not None:  # profile what follows, not the warm-up
                self.profiler.disable()
                self.profiler = _profiling()
            return {}
        return {"error": f"unknown {path}"}


def _is_typed_turn(text: str | None) -> bool:
    if not text:
        return False
    try:
        frame = json.loads(text)
    except ValueError:
        return False
    return isinstance(frame, dict) and frame.get("type") == "text"


def _is_first_audio(text: str) -> bool:
    """An `audio_chunk` with audio in it (server frames are compact JSON)."""
    return '"type":"audio_chunk"' in text and '"data_b64":""' not in text


def _turn_id(text: str) -> str:
    start = text.index('"turn_id":"') + len('"turn_id":"')
    return text[start : text.index('"', start)]


def _census() -> dict[str, int]:
    """What the process holds once garbage is collected: a leak shows here."""
    from convonet.voice.gateway import get_gateway
    from convonet.voice.session import VoiceSession

    gc.collect()
    gateway = get_gateway()
    return {
        "rss_kb": rss_kb(os.getpid()),
        "tasks": len(asyncio.all_tasks()),
        "connections": len(gateway.connections),
        "sessions": len(gateway.sessions),
        "live_sessions": sum(isinstance(o, VoiceSession) for o in gc.get_objects()),
    }


def _profile_top(profiler: cProfile.Profile, count: int = 15) -> str:
    """Where the time goes: cumulative under convonet, then own time anywhere."""
    import io
    import pstats

    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats("convonet", count)
    stats.sort_stats("tottime").print_stats(count)
    return out.getvalue()


def _profiling() -> cProfile.Profile:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def rss_kb(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _serve(token: str, profiler: cProfile.Profile | None, deflate: bool) -> None:
    import uvicorn
    from convonet.localstack import voice_gateway_app

    probe = Probe(voice_gateway_app(), profiler)
    # IPPROTO_TCP named, or asyncio leaves Nagle on for the accepted sockets (40 ms stalls)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            probe,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
            ws_per_message_deflate=deflate,
        )
    )
    sock.listen(2048)  # clients wait in the backlog until the server accepts
    _stop_on_eof(server, asyncio.get_running_loop())
    print(json.dumps({"port": sock.getsockname()[1], "token": token}), flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nobody reads stdout from here on
    lag = asyncio.ensure_future(probe.watch_lag())
    try:
        await server.serve(sockets=[sock])
    finally:
        lag.cancel()


def _stop_on_eof(server: uvicorn.Server, loop: asyncio.AbstractEventLoop) -> None:
    """Shut down gracefully when the parent closes our stdin (or dies)."""

    def watch() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(setattr, server, "should_exit", True)

    threading.Thread(target=watch, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--deflate", action="store_true", help="accept permessage-deflate (the gateway declines it)"
    )
    args = parser.parse_args()
    latency_s = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        token = prepare(Path(tmp))
        install(scripted(False, latency_s), latency_s)
        # The loop the gateway serves on (convonet.voice.gateway.UVICORN_OPTIONS["loop"]).
        uvloop.run(_serve(token, _profiling() if args.profile else None, args.deflate))


# The parent -----------------------------------------------------------------------------------


@dataclass
class GatewayChild:
    """A running child gateway, as the parent sees it."""

    proc: subprocess.Popen[bytes]
    port: int
    token: str
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/webrtc/ws"

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def cpu_s(self) -> float:
        """CPU time the child has used (user + system), from /proc/<pid>/stat."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def get(self, what: str) -> Any:
        response = await self.http.get(f"http://127.0.0.1:{self.port}/bench/{what}")
        response.raise_for_status()
        return response.text if what == "profile" else response.json()


@contextlib.asynccontextmanager
async def gateway_child(
    latency_ms: float, *, profile: bool = False, deflate: bool = False
) -> AsyncIterator[GatewayChild]:
    """Start the child gateway; it is always stopped on the way out."""
    import httpx

    command = [sys.executable, __file__, "--latency-ms", str(latency_ms)]
    command += ["--profile"] if profile else []
    command += ["--deflate"] if deflate else []
    with _child(command) as (proc, hello):
        async with httpx.AsyncClient(timeout=60) as http:
            yield GatewayChild(proc, hello["port"], hello["token"], http)


@contextlib.contextmanager
def _child(command: list[str]) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,  # unbuffered: select() then sees every line the child writes
        cwd=Path(__file__).parent.parent,
    )
    try:
        yield proc, _hello(proc)
    finally:
        _stop(proc)


def _hello(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The child's JSON line (port, token), or an error if none comes in START_TIMEOUT_S."""
    assert proc.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while selector.select(max(0.0, deadline - time.monotonic())):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the gateway child exited ({proc.wait()})")
            if line.startswith(b"{"):
                hello: dict[str, Any] = json.loads(line)
                return hello
    raise RuntimeError("the gateway child did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close stdin (graceful), then SIGTERM, then SIGKILL."""
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    for escalate in (proc.terminate, proc.kill):
        try:
            proc.wait(STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            escalate()
    proc.wait()


# The client -----------------------------------------------------------------------------------


async def open_session(url: str, token: str) -> Any:
    """A WebSocket authenticated with `token`, greeted and ready."""
    import websockets

    ws = await websockets.connect(url, max_queue=None, open_timeout=60)
    try:
        await ws.send(json.dumps({"type": "authenticate", "token": token}))
        await recv_until(ws, _ready)
    except BaseException:
        await ws.close()
        raise
    return ws


async def take_turn(ws: Any) -> tuple[str, float]:
    """One typed turn: (turn id, ms from sending `text` to the first audio_chunk)."""
    started = time.perf_counter()
    await ws.send(json.dumps({"type": "text", "text": PROMPT}))
    audio = await recv_until(ws, lambda f: f["type"] == "audio_chunk" and bool(f["data_b64"]))
    elapsed_ms = (time.perf_counter() - started) * 1000
    await recv_until(ws, _ready)
    return audio["turn_id"], elapsed_ms


async def converse(child: GatewayChild, turns: int) -> None:
    """A whole session: open, take `turns` turns, close."""
    ws = await open_session(child.url, child.token)
    try:
        for _ in range(turns):
            await take_turn(ws)
    finally:
        await ws.close()


def _ready(frame: dict[str, Any]) -> bool:
    return frame.get("type") == "status" and frame.get("stage") == "ready"


if __name__ == "__main__":
    main()
