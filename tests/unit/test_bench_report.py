"""docs/PERFORMANCE.md after `bench/run_all.py --only ...`: the benches run replace their own
sections, every other bench keeps the section the last run wrote, in the usual order."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they are built
    spec.loader.exec_module(module)
    return module


def _outcome(run_all: ModuleType, name: str, output: str, returncode: int = 0) -> object:
    finished = datetime(2026, 11, 30, 9, 40, tzinfo=UTC)
    return run_all.Outcome(name, 12.0, returncode, output, finished, "Test CPU 9000")


def test_only_replaces_the_sections_it_ran_and_keeps_the_others() -> None:
    run_all = _run_all()
    full = run_all.document(
        [
            _outcome(run_all, "cold_start", "cold start, first run\n"),
            _outcome(run_all, "tool_call", "tool call, first run\n## not a bench\nmore\n"),
            _outcome(run_all, "voice_turn", "voice turn, first run\n"),
        ],
        {},
    )
    earlier = run_all.earlier_sections(full)
    assert set(earlier) == {"cold_start", "tool_call", "voice_turn"}

    refreshed = run_all.document(
        [_outcome(run_all, "tool_call", "tool call, second run\n", returncode=1)], earlier
    )

    assert "cold start, first run" in refreshed
    assert "voice turn, first run" in refreshed
    assert "tool call, first run" not in refreshed
    assert "first run\n## not a bench\nmore\n```" in earlier["tool_call"]
    assert "## not a bench" not in refreshed
    assert "## tool_call — FAILED (exit 1)" in refreshed
    assert "finished 2026-11-30 09:40 UTC on Test CPU 9000." in refreshed
    order = [refreshed.index(f"## {name}") for name in ("cold_start", "tool_call", "voice_turn")]
    assert order == sorted(order)
    assert refreshed.count("## cold_start") == 1
    assert run_all.earlier_sections(refreshed)["cold_start"] == earlier["cold_start"]


def test_a_full_run_writes_only_what_it_ran() -> None:
    run_all = _run_all()
    document = run_all.document([_outcome(run_all, "voice_soak", "soak\n")], {})
    assert set(run_all.earlier_sections(document)) == {"voice_soak"}
    assert "## Machine" in document and "## Reproduce" in document
