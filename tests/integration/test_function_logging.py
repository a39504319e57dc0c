"""Every entry point starts structured, secret-redacted logging as it loads (rule 5).

Each function's main.py (and the gateway's app.py) is loaded in a fresh interpreter, as
functions-framework and uvicorn load it, then logs a line carrying a secret setting's value:
the line must come out as one Cloud Logging JSON object with the secret redacted, and INFO
lines must not be dropped (Python's last-resort handler would print warnings only, as plain
text, unredacted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from convonet.manifest import FUNCTIONS, FunctionSpec

SECRET = "probe-secret-value-" + "x" * 24

_LOAD_AND_LOG = """
import importlib.util, logging, sys
spec = importlib.util.spec_from_file_location("entry", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
logging.getLogger("probe").info("loaded")
logging.getLogger("probe").warning("signing with %s", sys.argv[2])
"""


def _log_lines(spec: FunctionSpec) -> list[dict[str, object]]:
    env = {**os.environ, "JWT_SECRET": SECRET, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_AND_LOG, str(spec.source), SECRET],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    assert SECRET not in result.stderr
    return [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("spec", [f for f in FUNCTIONS if f.source.exists()], ids=lambda f: f.name)
def test_an_entry_point_logs_structured_and_redacted(spec: FunctionSpec) -> None:
    probe = [line for line in _log_lines(spec) if line.get("logger") == "probe"]
    assert [line["severity"] for line in probe] == ["INFO", "WARNING"]
    assert probe[1]["message"] == "signing with [REDACTED]"
