"""`make bench`: run every benchmark in bench/ and write docs/PERFORMANCE.md from what they print.

Each bench runs as its own process (so every one starts cold and none skews another), its
output is echoed as it comes and kept verbatim for the document, with the machine it ran on
and how to reproduce it. A bench that fails is reported in the document and makes the run
exit non-zero, after the others have run. With --only, the benches named are run and their
sections replaced; every other bench's section stays as the last run wrote it, with the time
it ran.

    .venv/bin/python bench/run_all.py [--only cold_start tool_call]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DOC = BENCH.parent / "docs" / "PERFORMANCE.md"
# Known benches first, in this order, with what each shows; any other bench/*.py runs after.
ABOUT = {
    "cold_imports": "Import of each function's main.py in a fresh process, vs functions_framework. "
    "Light functions import no LLM SDK, LangGraph or Cloud SQL connector (heavy modules column) "
    "and only their own domains' ORM models.",
    "cold_start": "Cold start of each HTTP function served by `functions-framework` from its "
    "unpacked bundle, with the bytecode the bundle ships: process start "
    "to the first healthz (ready) plus the first real request, as a ratio to the same sum for a "
    "hello-world function (light functions: under 3x); hello-world runs interleave with the "
    "function's, best of N each.",
    "reservations_api": "Requests per second of `reservations` (availability, booking) on SQLite "
    "and PostgreSQL, vs hello-world; overbooking check under load.",
    "agent_turn": "What Convonet adds around the model per agent turn (scripted model, local "
    "state): p50/p95/p99, with and without a tool call.",
    "tool_call": "One tool call in-process vs over MCP stdio (warm session, and a new session "
    "per call as the original system did).",
    "voice_turn": "The browser voice turn, one session: overhead in-process and over the "
    "WebSocket, with and without a tool call; time to first audio, streaming vs batch; the same "
    "in-process cases for Pipecat 1.14 on this machine (extras off and defaults), our p95 against "
    "its, and what this machine's speed makes of the issue's absolute targets. In both "
    "in-process benches the user speaks for 5 ms before each turn's final transcript, so every "
    "turn starts from an idle loop, as a real one does. Our turn sends its first model request "
    "before the agent graph has started (convonet/agent/graph.py), so with 50 ms stubs the "
    "graph's start runs while the model thinks; with 0 ms stubs nothing can hide it. The `host` "
    "line times one burst of Python back to back and after 50 ms idle: where the host makes the "
    "second several times slower, every 50 ms figure (ours and Pipecat's) carries that.",
    "voice_load": "50, 200 and 400 simultaneous WebSocket sessions on one gateway process (its "
    "own child process), each taking a turn about every 3 s: overhead p95 in the server and at "
    "the clients, RSS per session, event-loop lag.",
    "voice_soak": "1,000 sequential sessions on one gateway process: RSS slope after a warm-up, "
    "leaked asyncio tasks, VoiceSession objects still alive. A closed session's conversation "
    "leaves the agent's in-memory caches; what still grows (under 0.6 KB a session) is not "
    "Python objects: tracemalloc counts under 100 KB of Python growth over 1,500 sessions.",
    "phone_turn": "The phone path: the signed Twilio webhook's overhead around an agent turn, "
    "and on the real /twilio/media stream the time from the caller's speech over the "
    "assistant to `clear`, and from the end of the caller's speech to the first answer frame.",
}


@dataclass(frozen=True)
class Outcome:
    name: str
    seconds: float
    returncode: int
    output: str
    finished: datetime
    cpu: str  # a section kept from an earlier run may come from another machine


def benches(only: list[str] | None) -> list[Path]:
    # run_all itself and the modules benches share (named _*) are not benches
    found = {p.stem: p for p in BENCH.glob("*.py") if p.stem != "run_all" and p.stem[0] != "_"}
    order = [n for n in ABOUT if n in found] + sorted(set(found) - set(ABOUT))
    return [found[n] for n in order if not only or n in only]


def run(path: Path) -> Outcome:
    print(f"== {path.name}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=BENCH.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    returncode = proc.wait()
    seconds = time.perf_counter() - started
    return Outcome(path.stem, seconds, returncode, "".join(lines), datetime.now(UTC), cpu_model())


def cpu_model() -> str:
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )


def machine() -> list[str]:
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores"
        f" (`nproc` {len(os.sched_getaffinity(0))})",
        f"- Python {platform.python_version()} on {platform.platform()}",
        "- Load average at the start (1, 5, 15 min): "
        + ", ".join(f"{load:.2f}" for load in os.getloadavg()),
        f"- Written: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (each section says when its bench ran)",
    ]


def earlier_sections(text: str) -> dict[str, str]:
    """The bench sections of an earlier document, verbatim, by bench name."""
    names = {path.stem for path in benches(None)}
    sections: dict[str, str] = {}
    current: str | None = None
    for chunk in text.split("\n## ")[1:]:
        name = chunk.split("\n", 1)[0].split(" ", 1)[0]
        if name in names:
            current = name
            sections[name] = "## " + chunk
        elif current is not None:  # a line of a bench's own output that looks like a header
            sections[current] += "\n## " + chunk
    return {name: body.rstrip("\n") for name, body in sections.items()}


def section(outcome: Outcome) -> list[str]:
    status = "" if outcome.returncode == 0 else f" — FAILED (exit {outcome.returncode})"
    return [
        f"## {outcome.name}{status}",
        "",
        ABOUT.get(outcome.name, f"bench/{outcome.name}.py"),
        f"Took {outcome.seconds:.0f} s, finished {outcome.finished:%Y-%m-%d %H:%M} UTC"
        f" on {outcome.cpu}.",
        "",
        "```",
        outcome.output.rstrip(),
        "```",
    ]


def document(outcomes: list[Outcome], earlier: dict[str, str]) -> str:
    parts = [
        "# Performance",
        "",
        "Written by `make bench` (bench/run_all.py); do not edit by hand. Every figure below is",
        "printed by a bench in `bench/` on the machine named here; benches print figures and",
        "ratios, they never assert on time. Ratios against a hello-world function measured in",
        "the same run make the numbers comparable across machines.",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                   # all of them, rewrites this file",
        ".venv/bin/python bench/run_all.py --only cold_start tool_call  # those; keeps the rest",
        ".venv/bin/python bench/<name>.py             # one, printing only",
        "```",
        "",
        "PostgreSQL figures need the test server at 127.0.0.1:5432 (`bash "
        "scripts/ensure_postgres.sh`); without it those rows are skipped.",
    ]
    fresh = {outcome.name: outcome for outcome in outcomes}
    for path in benches(None):
        if path.stem in fresh:
            parts += ["", *section(fresh[path.stem])]
        elif path.stem in earlier:
            parts += ["", earlier[path.stem]]
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="bench names (file stems) to run")
    args = parser.parse_args()
    outcomes = [run(path) for path in benches(args.only)]
    earlier = earlier_sections(DOC.read_text()) if args.only and DOC.exists() else {}
    DOC.write_text(document(outcomes, earlier))
    print(f"wrote {DOC.relative_to(BENCH.parent)}")
    return 1 if any(o.returncode for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
