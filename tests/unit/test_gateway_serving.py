"""How the voice gateway is served: the Dockerfile's uvicorn command means the same options as
every in-process launch (convonet.voice.gateway.UVICORN_OPTIONS)."""

from __future__ import annotations

import shlex

import uvicorn
from convonet.manifest import REPO_ROOT
from convonet.voice.gateway import UVICORN_OPTIONS

DOCKERFILE = REPO_ROOT / "functions" / "voice_gateway" / "Dockerfile"


def _cmd_arguments() -> list[str]:
    """The uvicorn arguments of the image's CMD (`sh -c "exec uvicorn ..."`)."""
    cmd = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD "))
    shell = cmd.split('"exec ', 1)[1].rsplit('"]', 1)[0].replace('\\"', '"')
    words = shlex.split(shell)
    assert words[0] == "uvicorn"
    return [w.replace("${PORT}", "8080") for w in words[1:]]


def test_the_image_serves_the_gateway_with_the_shared_options() -> None:
    context = uvicorn.main.make_context("uvicorn", _cmd_arguments())
    for option, value in UVICORN_OPTIONS.items():
        assert context.params[option] == value, option
