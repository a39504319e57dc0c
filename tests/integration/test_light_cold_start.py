"""Light functions stay light: what loading each one imports, checked in a fresh interpreter.

No light function imports an LLM SDK, LangGraph or the Cloud SQL connector (issue 9), nor what
its cold start was cut by leaving out (bench/cold_start.py measures the time): Alembic, other
domains' ORM models, httpx (whose import loads its command-line tools, rich and pygments;
the adapters that call out import it when they do) and `cryptography` (PyJWT's asymmetric
algorithms, which convonet.auth.hmac_jwt hides, and Fernet, loaded when a calendar grant is
sealed or opened); nor does one search the installed distributions' entry points (pydantic's
plugin search, which `convonet` switches off). Each HTTP one loads with the garbage
collector paused and leaves what it loaded frozen, with the collector running again.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from typing import Any

import pytest
from convonet.manifest import FUNCTIONS, FunctionSpec

HEAVY = ("anthropic", "openai", "google.genai", "langgraph", "langchain_core")
NEVER = (*HEAVY, "google.cloud.sql.connector", "alembic", "httpx", "cryptography")
LIGHT = [f for f in FUNCTIONS if f.weight == "light" and f.source.exists()]
LIGHT_HTTP = [f for f in LIGHT if f.kind == "http"]

_LOAD = """
import gc, importlib.metadata, importlib.util, json, sys
searched = []
search = importlib.metadata.entry_points
def entry_points(**selection):
    searched.append(selection.get("group", "*"))
    return search(**selection)
importlib.metadata.entry_points = entry_points
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({
    "modules": sorted(sys.modules), "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
    "entry_point_groups": searched,
}))
"""


def _load(spec: FunctionSpec) -> dict[str, Any]:
    """What loading the function's main.py in a fresh interpreter leaves behind."""
    return _load_source(str(spec.source))


@functools.cache
def _load_source(source: str) -> dict[str, Any]:
    """Read once per function and shared by the tests, which only look at it."""
    result = subprocess.run(
        [sys.executable, "-c", _LOAD, source],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def _modules_after_loading(spec: FunctionSpec) -> set[str]:
    return set(_load(spec)["modules"])


@pytest.mark.parametrize("spec", LIGHT, ids=lambda f: f.name)
def test_a_light_function_imports_nothing_heavy(spec: FunctionSpec) -> None:
    loaded = _modules_after_loading(spec)
    assert sorted(m for m in NEVER if m in loaded) == []


@pytest.mark.parametrize("spec", LIGHT, ids=lambda f: f.name)
def test_a_light_function_searches_no_entry_points(spec: FunctionSpec) -> None:
    """Pydantic's plugin search reads every installed distribution's metadata."""
    assert _load(spec)["entry_point_groups"] == []


def test_reservations_loads_only_the_models_it_uses() -> None:
    spec = next(f for f in FUNCTIONS if f.name == "reservations")
    models = {m for m in _modules_after_loading(spec) if m.startswith("convonet.db.models.")}
    assert models == {f"convonet.db.models.{m}" for m in ("base", "identity", "restaurant")}


def test_reservations_loads_the_token_module_only_for_a_token() -> None:
    """Guests' routes take no token, so PyJWT and the token module wait for a staff call."""
    spec = next(f for f in FUNCTIONS if f.name == "reservations")
    loaded = _modules_after_loading(spec)
    assert sorted(m for m in ("jwt", "convonet.auth.tokens") if m in loaded) == []


@pytest.mark.parametrize("spec", LIGHT_HTTP, ids=lambda f: f.name)
def test_a_light_http_function_leaves_its_loaded_heap_frozen(spec: FunctionSpec) -> None:
    loaded = _load(spec)
    assert loaded["gc_enabled"]
    assert loaded["frozen"] > 10_000
