"""Cold import time of each function's main.py in a fresh process, against functions_framework.

A light function must stay close to the framework's own import cost; this prints, for each
function in the manifest, the best of N fresh-process imports and its ratio to importing
`functions_framework` alone, and which heavy modules (LLM SDKs, LangGraph, Cloud SQL connector)
it pulled in.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from convonet.manifest import FUNCTIONS, REPO_ROOT, FunctionSpec

RUNS = 5
HEAVY = (
    "anthropic",
    "openai",
    "google.genai",
    "langgraph",
    "langchain_core",
    "google.cloud.sql.connector",
)

_PROBE = """
import importlib.util, json, sys, time
t0 = time.perf_counter()
{body}
elapsed = time.perf_counter() - t0
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps({{"ms": elapsed * 1000, "heavy": heavy}}))
"""

_LOAD_SOURCE = """
spec = importlib.util.spec_from_file_location("main", {source!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
"""


def _probe(body: str) -> tuple[float, list[str]]:
    samples, heavy = [], []
    for _ in range(RUNS):
        code = _PROBE.format(body=body, heavy=HEAVY)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        samples.append(result["ms"])
        heavy = result["heavy"]
    return min(samples), heavy


def _function_body(spec: FunctionSpec) -> str:
    return _LOAD_SOURCE.format(source=str(spec.source))


def main() -> None:
    baseline, _ = _probe("import functions_framework")
    print(f"functions_framework alone: {baseline:.1f} ms (best of {RUNS})")
    print(f"{'function':<20} {'weight':<6} {'import ms':>10} {'ratio':>7}  heavy modules")
    ratios = []
    for spec in FUNCTIONS:
        if not spec.source.exists():
            continue
        ms, heavy = _probe(_function_body(spec))
        ratio = ms / baseline
        if spec.weight == "light":
            ratios.append(ratio)
        print(
            f"{spec.name:<20} {spec.weight:<6} {ms:>10.1f} {ratio:>7.2f}  {', '.join(heavy) or '-'}"
        )
    if ratios:
        print(
            f"light functions: median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
