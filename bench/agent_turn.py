"""The agent's own overhead per turn: routing, the LangGraph run, tools, checkpoint, accounting.

The model answers instantly (a scripted stub, no latency), the StateStore is the local SQLite
adapter, the database a migrated SQLite file and events go to the in-process bus, so what is
measured is what Convonet adds around the providers. The runner is built and the startup heap
frozen as `get_runner` does in the deployed function. Prints p50/p95/p99 of a whole turn (until
`final`, the write-behind checkpoint stored) and of its first delta, for a turn without a tool
call and with one (`get_available_departments`: no database), two ways: the async turn in one
uvloop event loop (how the voice gateway runs it in-process) and through `stream_sync`, the bridge
agent_turn's functions-framework handler streams from (one loop entry per event); then the
cold import time of agent_turn's main.py. Figures only; nothing here asserts on time.

    .venv/bin/python bench/agent_turn.py [--turns 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop
from convonet.agent.checkpointer import StateStoreCheckpointer
from convonet.agent.graph import Agent
from convonet.agent.turn import TurnRequest, TurnRunner
from convonet.db.migrate import upgrade
from convonet.events import set_event_bus
from convonet.events.local import LocalEventBus
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.manifest import REPO_ROOT, by_name
from convonet.process import freeze_startup_heap
from convonet.state import set_state_store
from convonet.state.local import LocalStateStore

WARMUP = 50
Samples = tuple[list[float], list[float]]
TARGET_P95_MS = 3.0


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _request(n: int, prompt: str) -> TurnRequest:
    return TurnRequest(
        user_id="bench-user", session_id=f"s{n % 20}", prompt=prompt, provider="scripted"
    )


def _record(samples: Samples, started: float, first: float | None, ended: float | None) -> None:
    ended = ended or time.perf_counter()
    samples[0].append((ended - started) * 1000)
    samples[1].append(((first or ended) - started) * 1000)


async def _measure_async(runner: TurnRunner, prompt: str, turns: int) -> Samples:
    samples: Samples = ([], [])
    for n in range(WARMUP + turns):
        started = time.perf_counter()
        first = ended = None
        async for name, _data in runner.stream(_request(n, prompt)):
            if name == "delta" and first is None:
                first = time.perf_counter()
            elif name == "final":
                ended = time.perf_counter()  # the bookkeeping after final is not the turn's
        if n >= WARMUP:
            _record(samples, started, first, ended)
    return samples


def _measure_sync(runner: TurnRunner, prompt: str, turns: int) -> Samples:
    samples: Samples = ([], [])
    for n in range(WARMUP + turns):
        started = time.perf_counter()
        first = ended = None
        for name, _data in runner.stream_sync(_request(n, prompt)):
            if name == "delta" and first is None:
                first = time.perf_counter()
            elif name == "final":
                ended = time.perf_counter()
        if n >= WARMUP:
            _record(samples, started, first, ended)
    return samples


def _scripted(model: ScriptedChatModel) -> tuple[str, ScriptedChatModel]:
    """The stub without its request log, which would keep every history alive (and time the
    garbage collector walking them)."""
    model.calls.clear()
    return "scripted", model


def _cold_import_ms(runs: int = 5) -> float:
    source = str(by_name("agent_turn").source)
    code = (
        "import importlib.util, time\n"
        "t0 = time.perf_counter()\n"
        f"spec = importlib.util.spec_from_file_location('main', {source!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print((time.perf_counter() - t0) * 1000)\n"
    )
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                cwd=REPO_ROOT,
            ).stdout
        )
        for _ in range(runs)
    ]
    return min(samples)


def _cases() -> dict[str, tuple[ScriptedChatModel, str]]:
    return {
        "no tool call": (ScriptedChatModel([say("Hello. How can I help?")], cycle=True), "hi"),
        "one tool call": (
            ScriptedChatModel(
                [
                    call_tool("get_available_departments", {}, "d1"),
                    say("Support is on extension 2001."),
                ],
                cycle=True,
            ),
            "which departments can I talk to a person in",
        ),
    }


def _report(way: str, label: str, samples: Samples) -> dict[str, float]:
    p50, p95, p99 = _percentiles(samples[0])
    f50, f95, f99 = _percentiles(samples[1])
    print(
        f"{way:>5} {label:>13}: turn p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms"
        f"  | first delta p50 {f50:5.2f}  p95 {f95:5.2f}  p99 {f99:5.2f} ms"
    )
    return {"p50": p50, "p95": p95, "p99": p99, "first_delta_p95": f95}


def _prepare(tmp: Path) -> Agent:
    os.environ.setdefault("DATA_DIR", str(tmp))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    upgrade()
    set_state_store(LocalStateStore(tmp / "state.db"))
    set_event_bus(LocalEventBus())
    agent = Agent(StateStoreCheckpointer())
    freeze_startup_heap()
    return agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=2000)
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        agent = _prepare(Path(tmp))
        for label, (model, prompt) in _cases().items():
            runner = TurnRunner(agent, models=lambda _r, _u, model=model: _scripted(model))
            samples = uvloop.run(_measure_async(runner, prompt, args.turns))
            figures[f"async {label}"] = _report("async", label, samples)
            samples = _measure_sync(runner, prompt, args.turns)
            figures[f"sync {label}"] = _report("sync", label, samples)
    ratio = figures["async one tool call"]["p95"] / TARGET_P95_MS
    print(f"one tool call p95 (async turn) / {TARGET_P95_MS} ms target: {ratio:.2f}")
    cold = _cold_import_ms()
    print(f"agent_turn cold import (best of 5): {cold:.0f} ms")
    print(json.dumps({"turns": args.turns, "figures": figures, "cold_import_ms": cold}))


if __name__ == "__main__":
    main()
