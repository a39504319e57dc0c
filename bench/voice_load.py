"""The voice gateway under load: 50, 200 and 400 simultaneous WebSocket sessions on one process.

The gateway runs in a child process of its own (bench/_voice_server.py: uvicorn on 127.0.0.1,
50 ms fixed-latency stub providers); the load generator is this process, so it never steals the
gateway's event loop. Per level, a fresh child is warmed up with a few sessions, then N sessions
open (authenticate with a token, hear the greeting), and once all are open each takes 3 typed
turns, the first after a random 0-3 s, then about every 3 s (+-20 %), and closes. Per level:

- in-process overhead p50/p95/p99, measured in the server: t0 = the `text` frame enters the
  app, t1 = the app hands over its first non-empty `audio_chunk`, less the stubs' own time in
  that turn (model to first event, TTS to first byte);
- over the WebSocket, seen by the clients: `text` sent -> first `audio_chunk` received, less
  the same turn's stub time as the server measured it;
- RSS per session: (server RSS once every session has had its first turn - RSS before any
  opened) / N, from /proc/<pid>/status VmRSS;
- event-loop lag in the server: how late a 5 ms sleep wakes, p50/p99/max during the load
  (and p99 idle, before it);
- the server's garbage collections during the load: full ones (each stalls every running turn
  while it walks every session's objects; GC_SERVING_THRESHOLDS makes them rare) and young
  ones, with the longest pause of each.

The clients offer permessage-deflate, as browsers do, and the server declines it as the
gateway does everywhere (convonet.voice.gateway.UVICORN_OPTIONS, the Dockerfile's flag).
--deflate makes it accept (uvicorn's default), to see what compressing every audio_chunk
costs. --profile prints where the server's time went at the highest level. Figures and
ratios only; nothing here asserts on time.

    .venv/bin/python bench/voice_load.py [--levels 50 200 400] [--profile] [--deflate]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _voice_server import GatewayChild, converse, gateway_child, open_session, take_turn
from _voice_stubs import line, percentiles

LEVELS = (50, 200, 400)
LATENCY_MS = 50.0
TURN_EVERY_S = 3.0
TURNS_PER_SESSION = 3
WARMUP_SESSIONS = 5
OPENING_AT_ONCE = 50
TARGET_P95_MS = 12.0  # issue #9: 400 concurrent sessions, in-process p95 <= 12 ms
WAIT_S = 60.0  # no single step of a session takes this long unless something is stuck


class Countdown:
    """Done (and `then` called) once `count` sessions have arrived; failed ones arrive too."""

    def __init__(self, count: int, then: Callable[[], None] | None = None) -> None:
        self.left, self.then, self.done = count, then, asyncio.Event()

    def arrive(self) -> None:
        self.left -= 1
        if self.left == 0:
            if self.then is not None:
                self.then()
            self.done.set()


@dataclass
class Level:
    """One concurrency level's shared state."""

    child: GatewayChild
    sessions: int
    opening: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(OPENING_AT_ONCE))
    rss_after_kb: int = 0
    opened: Countdown = field(init=False)
    first_turns: Countdown = field(init=False)

    def __post_init__(self) -> None:
        self.opened = Countdown(self.sessions)
        self.first_turns = Countdown(self.sessions, self._sample_rss)

    def _sample_rss(self) -> None:
        self.rss_after_kb = self.child.rss_kb()


@dataclass(frozen=True)
class Usage:
    """Wall time and the CPU time of the server and of this load generator."""

    wall_s: float
    server_cpu_s: float
    client_cpu_s: float

    @classmethod
    def now(cls, child: GatewayChild) -> Usage:
        return cls(time.perf_counter(), child.cpu_s(), time.process_time())

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s - other.wall_s,
            self.server_cpu_s - other.server_cpu_s,
            self.client_cpu_s - other.client_cpu_s,
        )


async def user(level: Level) -> list[tuple[str, float]]:
    """One session: open, wait for all the others, then its turns; returns (turn id, ms)."""
    turns: list[tuple[str, float]] = []
    try:
        try:
            async with level.opening, asyncio.timeout(WAIT_S):
                ws = await open_session(level.child.url, level.child.token)
        finally:
            level.opened.arrive()
        try:
            async with asyncio.timeout(WAIT_S):
                await level.opened.done.wait()
            await asyncio.sleep(random.uniform(0, TURN_EVERY_S))
            for n in range(TURNS_PER_SESSION):
                async with asyncio.timeout(WAIT_S):
                    turns.append(await take_turn(ws))
                if n == 0:
                    level.first_turns.arrive()
                if n < TURNS_PER_SESSION - 1:
                    await asyncio.sleep(TURN_EVERY_S * random.uniform(0.8, 1.2))
        finally:
            await ws.close()
    finally:
        if not turns:  # a failed session must not hold up the RSS sample
            level.first_turns.arrive()
    return turns


async def warm_up(child: GatewayChild) -> None:
    """First turns import and compile what later ones reuse: keep them out of the figures."""
    async with asyncio.timeout(WAIT_S):
        await asyncio.gather(*(converse(child, TURNS_PER_SESSION) for _ in range(WARMUP_SESSIONS)))


async def run_level(sessions: int, profile: bool, deflate: bool) -> dict[str, Any]:
    async with gateway_child(LATENCY_MS, profile=profile, deflate=deflate) as child:
        await warm_up(child)
        await child.get("reset")
        await asyncio.sleep(1.0)
        idle_lag = (await child.get("stats"))["lag_ms"]
        await child.get("reset")
        level = Level(child, sessions)
        rss_before_kb = child.rss_kb()
        before = Usage.now(child)
        outcomes = await asyncio.gather(
            *(user(level) for _ in range(sessions)), return_exceptions=True
        )
        usage = Usage.now(child) - before
        stats = await child.get("stats")
        top = await child.get("profile") if profile else None
    return report(
        sessions, outcomes, stats, idle_lag, rss_before_kb, level.rss_after_kb, usage, top
    )


def report(
    sessions: int,
    outcomes: list[Any],
    stats: dict[str, Any],
    idle_lag: list[float],
    rss_before_kb: int,
    rss_after_kb: int,
    usage: Usage,
    top: str | None,
) -> dict[str, Any]:
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    stub_ms = {turn_id: stub for turn_id, _overhead, stub in stats["turns"]}
    in_process = [overhead for _turn_id, overhead, _stub in stats["turns"]]
    over_ws = [
        ms - stub_ms[turn_id]
        for turns in outcomes
        if not isinstance(turns, BaseException)
        for turn_id, ms in turns
        if turn_id in stub_ms
    ]
    note = f", {len(failed)} failed ({failed[0]!r})" if failed else ""
    print(f"{sessions} sessions, {TURNS_PER_SESSION} turns each, {usage.wall_s:.1f} s{note}:")
    tag = f"{sessions} sessions, {LATENCY_MS:.0f} ms stubs"
    figures: dict[str, Any] = {
        "in_process": line(f"  in-process, {tag}", in_process),
        "websocket": line(f"  WebSocket, {tag}", over_ws),
    }
    line(f"  stubs' own time ({2 * LATENCY_MS:.0f} ms asleep)", list(stub_ms.values()))
    per_session = (rss_after_kb - rss_before_kb) / sessions
    print(
        f"  RSS per session {per_session:8.1f} KB   (before {rss_before_kb / 1024:.1f} MB, "
        f"after first turns {rss_after_kb / 1024:.1f} MB)"
    )
    lag50, _lag95, lag99 = percentiles(stats["lag_ms"])
    lag_max, idle99 = max(stats["lag_ms"]), percentiles(idle_lag)[2]
    print(
        f"  event-loop lag (5 ms sleep) p50 {lag50:6.2f}  p99 {lag99:6.2f}  max {lag_max:6.1f} ms"
        f"   (idle p99 {idle99:.2f} ms)"
    )
    full = [ms for generation, ms in stats["gc_ms"] if generation == 2]
    young = [ms for generation, ms in stats["gc_ms"] if generation < 2]
    print(
        f"  garbage collector: {len(full)} full collections (longest"
        f" {max(full, default=0):.1f} ms), {len(young)} young (longest"
        f" {max(young, default=0):.1f} ms)"
    )
    turns = sessions * TURNS_PER_SESSION
    print(
        f"  CPU: server {usage.server_cpu_s / usage.wall_s:.2f} cores, "
        f"{1000 * usage.server_cpu_s / turns:.1f} ms per turn (opening, greeting and closing "
        f"included); load generator {usage.client_cpu_s / usage.wall_s:.2f} cores"
    )
    if top:
        print(f"  profile of the server, top cumulative under convonet:\n{top}")
    figures.update(
        sessions=sessions,
        failed=len(failed),
        rss_per_session_kb=per_session,
        server_cpu_ms_per_turn=1000 * usage.server_cpu_s / turns,
        lag_ms={"p50": lag50, "p99": lag99, "max": lag_max, "idle_p99": idle99},
        gc={"full": len(full), "full_max_ms": max(full, default=0.0), "young": len(young)},
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", type=int, nargs="*", default=list(LEVELS))
    parser.add_argument(
        "--profile", action="store_true", help="profile the server at the highest level"
    )
    parser.add_argument(
        "--deflate", action="store_true", help="the server accepts permessage-deflate"
    )
    args = parser.parse_args()
    results = {
        n: asyncio.run(run_level(n, args.profile and n == max(args.levels), args.deflate))
        for n in args.levels
    }
    top = max(results)
    p95 = results[top]["in_process"]["p95"]
    ratio = p95 / TARGET_P95_MS
    print(f"in-process p95 at {top} sessions / target {TARGET_P95_MS:.0f} ms: {ratio:.2f}x")
    if min(results) != top:
        low = results[min(results)]["in_process"]["p95"]
        print(f"in-process p95, {top} / {min(results)} sessions: {p95 / low:.2f}x")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
