"""Soak: 1,000 sequential voice sessions against one gateway process; does anything stay behind?

The gateway runs in a child process (bench/_voice_server.py, uvicorn on 127.0.0.1, 0 ms stub
providers). Each session connects over the WebSocket, authenticates with a token, hears the
greeting, takes one typed turn and closes. Every 50 sessions the server collects its garbage
and reports its RSS; after a warm-up of 100 sessions a least-squares line through those samples
gives the RSS slope (KB per 100 sessions; flat is the goal). Once every session has closed and
the server has settled, its asyncio tasks are counted against the idle server's before the
first session (leaked tasks), with the connections and sessions the gateway still tracks and
the VoiceSession objects still alive.

Figures only; nothing here asserts.

    .venv/bin/python bench/voice_soak.py [--sessions 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from _voice_server import GatewayChild, converse, gateway_child

SESSIONS = 1000
SAMPLE_EVERY = 50
WARMUP = 100
SETTLE_S = 5.0
WAIT_S = 30.0  # one session never takes this long unless something is stuck


async def settled(child: GatewayChild, idle: dict[str, int]) -> dict[str, int]:
    """The census once the server is back to idle, or after SETTLE_S if it never is."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        census: dict[str, int] = await child.get("census")
        quiet = census["tasks"] <= idle["tasks"] and census["connections"] == 0
        if quiet or time.monotonic() > deadline:
            return census
        await asyncio.sleep(0.25)


async def soak(sessions: int) -> dict[str, Any]:
    async with gateway_child(0.0) as child:
        idle: dict[str, int] = await child.get("census")
        rss = [(0, idle["rss_kb"])]
        started = time.perf_counter()
        for n in range(1, sessions + 1):
            async with asyncio.timeout(WAIT_S):
                await converse(child, 1)
            if n % SAMPLE_EVERY == 0:
                rss.append((n, (await child.get("census"))["rss_kb"]))
        elapsed_s = time.perf_counter() - started
        after = await settled(child, idle)
    return report(sessions, elapsed_s, rss, idle, after)


def report(
    sessions: int,
    elapsed_s: float,
    rss: list[tuple[int, int]],
    idle: dict[str, int],
    after: dict[str, int],
) -> dict[str, Any]:
    print(
        f"{sessions} sequential sessions (connect, authenticate, greeting, one typed turn, "
        f"close), 0 ms stubs: {elapsed_s:.1f} s, {sessions / elapsed_s:.0f} sessions/s"
    )
    print(
        f"RSS every {SAMPLE_EVERY} sessions (MB): " + " ".join(f"{kb / 1024:.1f}" for _, kb in rss)
    )
    warm = [(n, kb) for n, kb in rss if n >= WARMUP]
    slope = statistics.linear_regression([n for n, _ in warm], [kb for _, kb in warm]).slope
    start_kb, end_kb = warm[0][1], warm[-1][1]
    print(
        f"RSS after {warm[0][0]} sessions {start_kb / 1024:.1f} MB, after {warm[-1][0]} "
        f"{end_kb / 1024:.1f} MB: slope {100 * slope:+.1f} KB per 100 sessions "
        f"(least squares over {len(warm)} samples; idle server {idle['rss_kb'] / 1024:.1f} MB)"
    )
    leaked = after["tasks"] - idle["tasks"]
    print(
        f"leaked tasks: {leaked}   (asyncio tasks idle {idle['tasks']}, after {after['tasks']}; "
        f"gateway connections {after['connections']}, sessions {after['sessions']}; "
        f"live VoiceSession objects {after['live_sessions']})"
    )
    return {
        "sessions": sessions,
        "seconds": elapsed_s,
        "rss_kb": rss,
        "slope_kb_per_100_sessions": 100 * slope,
        "leaked_tasks": leaked,
        "after": after,
        "idle": idle,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(soak(args.sessions))))


if __name__ == "__main__":
    main()
