"""The phone functions stay light: loading them imports no model SDK and no LangGraph (the
agent is reached over HTTP), checked in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from convonet.manifest import REPO_ROOT

HEAVY = ["langgraph", "langchain_core", "anthropic", "openai", "google.genai"]


@pytest.mark.parametrize(
    "function", ["twilio_webhook", "transfer_callback", "notify", "dispatch_reminders"]
)
def test_phone_functions_import_no_model_sdk_or_langgraph(function: str) -> None:
    script = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('main', {str(REPO_ROOT)!r} + "
        f"'/functions/{function}/main.py')\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
