"""Light functions stay light: what loading each one imports, checked in a fresh interpreter.

No light function imports an LLM SDK, LangGraph or the Cloud SQL connector (issue 9), nor what
its cold start was cut by leaving out (bench/cold_start.py measures the time): Alembic and
other domains' ORM models.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from convonet.manifest import FUNCTIONS, FunctionSpec

HEAVY = ("anthropic", "openai", "google.genai", "langgraph", "langchain_core")
NEVER = (*HEAVY, "google.cloud.sql.connector", "alembic")
LIGHT = [f for f in FUNCTIONS if f.weight == "light" and f.source.exists()]

_LOAD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after_loading(spec: FunctionSpec) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _LOAD, str(spec.source)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("spec", LIGHT, ids=lambda f: f.name)
def test_a_light_function_imports_nothing_heavy(spec: FunctionSpec) -> None:
    loaded = _modules_after_loading(spec)
    assert sorted(m for m in NEVER if m in loaded) == []


def test_reservations_loads_only_the_models_it_uses() -> None:
    spec = next(f for f in FUNCTIONS if f.name == "reservations")
    models = {m for m in _modules_after_loading(spec) if m.startswith("convonet.db.models.")}
    assert models == {f"convonet.db.models.{m}" for m in ("base", "identity", "restaurant")}
