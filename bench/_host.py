"""How this machine treats code that runs after the event loop has idled (not a bench itself).

A turn with 50 ms stub providers runs its own code in bursts, each straight after the loop
slept through a provider's wait. On some virtual machines a burst after such an idle runs
several times slower than the same burst run back to back (the vCPU was halted or shared,
its caches refilled): the voice benches then report more overhead at 50 ms than at 0 ms, for
Convonet and Pipecat alike, and more than on a day the host keeps the vCPU warm. This probe
times one fixed piece of Python (a pydantic model validated and dumped, its JSON parsed, a
regex; about 70 us on a warm core) straight after other work and after a 50 ms sleep, so a
report says how much of that day's 50 ms figures is the host's.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

from _voice_stubs import percentiles
from pydantic import BaseModel

IDLE_S = 0.05
_WORDS = re.compile(r"(\w+)\s+(\d+)")


class _Frame(BaseModel):
    seq: int
    text: str
    values: list[int]


def _burst() -> None:
    for seq in range(12):
        frame = _Frame(seq=seq, text="which extension is support", values=list(range(10)))
        json.loads(frame.model_dump_json())
        _WORDS.findall("table 4 party 2 time 1930")


async def _timed(idle_s: float, runs: int) -> tuple[float, float, float]:
    """p50, p95, p99 ms of the burst, each run after `idle_s` asleep."""
    samples = []
    for _ in range(runs):
        await asyncio.sleep(idle_s)
        started = time.perf_counter()
        _burst()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def post_idle_penalty(runs: int = 200) -> dict[str, float]:
    """p50/p95 ms of the burst straight after other work and after IDLE_S asleep, and their
    ratios; printed as one line."""
    (warm_p50, warm_p95, _), (idle_p50, idle_p95, _) = (
        await _timed(0.0, runs),
        await _timed(IDLE_S, runs),
    )
    figures = {
        "warm_p50": warm_p50,
        "warm_p95": warm_p95,
        "after_idle_p50": idle_p50,
        "after_idle_p95": idle_p95,
    }
    figures["ratio_p50"] = figures["after_idle_p50"] / figures["warm_p50"]
    figures["ratio_p95"] = figures["after_idle_p95"] / figures["warm_p95"]
    print(
        f"host: the same burst of Python takes p50 {figures['warm_p50']:.3f} / p95"
        f" {figures['warm_p95']:.3f} ms back to back, p50 {figures['after_idle_p50']:.3f} / p95"
        f" {figures['after_idle_p95']:.3f} ms after {IDLE_S * 1000:.0f} ms idle"
        f" ({figures['ratio_p50']:.1f}x / {figures['ratio_p95']:.1f}x)"
    )
    return figures
