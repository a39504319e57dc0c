"""Cold start of each built HTTP function, served the production way, against hello-world.

Each run spawns `functions-framework --target NAME --source functions/NAME/main.py --port P`
(what the Cloud Functions runtime runs) and times process start to the first successful
`<prefix>/healthz`, then the first real request (`<prefix>/openapi.json`, which builds the
function's whole router and schemas; for reservations the menu, which reads the database).
The baseline is tests/scenarios/hello/main.py under the same command. Best of N per function;
ratios to hello-world. Figures only.

    .venv/bin/python bench/cold_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from convonet.manifest import REPO_ROOT, FunctionSpec, http_functions

HELLO = REPO_ROOT / "tests" / "scenarios" / "hello" / "main.py"
FRAMEWORK = Path(sys.executable).parent / "functions-framework"
FIRST_REQUEST = {"reservations": "/api/reservations/menu"}
_START_LIMIT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cold_start(
    target: str, source: Path, ready: str, first: str, env: dict[str, str]
) -> tuple[float, float]:
    """(ms to the first 200 on `ready`, ms more to the first answer on `first`)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    args = [str(FRAMEWORK), "--target", target, "--source", str(source), "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT
    )
    try:
        with httpx.Client(timeout=10) as client:
            while time.perf_counter() - started < _START_LIMIT_S:
                if proc.poll() is not None:
                    raise RuntimeError(f"{target} exited with {proc.returncode}")
                try:
                    if client.get(base + ready).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.005)
            healthy = time.perf_counter()
            client.get(base + first).raise_for_status()
            answered = time.perf_counter()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return (healthy - started) * 1000, (answered - healthy) * 1000


def _environment(workdir: Path) -> dict[str, str]:
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.demo import seed_demo_data

    url = f"sqlite:///{workdir / 'cold.db'}"
    upgrade(url)
    with session_scope(url) as session:
        seed_demo_data(session)
    return {
        **os.environ,
        "CONVONET_ENV": "dev",
        "DATA_DIR": str(workdir),
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }


def _best(runs: int, spec: FunctionSpec | None, env: dict[str, str]) -> tuple[float, float]:
    if spec is None:
        samples = [cold_start("hello", HELLO, "/", "/", env) for _ in range(runs)]
    else:
        prefix = spec.primary_path
        first = FIRST_REQUEST.get(spec.name, f"{prefix}/openapi.json")
        samples = [
            cold_start(spec.entry_point, spec.source, f"{prefix}/healthz", first, env)
            for _ in range(runs)
        ]
    return min(s[0] for s in samples), min(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = _environment(Path(tmp))
        base_ready, base_first = _best(args.runs, None, env)
        print(f"hello-world: ready {base_ready:.0f} ms, first request +{base_first:.1f} ms")
        print(f"{'function':<20} {'weight':<6} {'ready ms':>9} {'ratio':>6} {'first req ms':>13}")
        for spec in http_functions():
            if not spec.built or not spec.source.exists():
                continue
            ready, first = _best(args.runs, spec, env)
            print(
                f"{spec.name:<20} {spec.weight:<6} {ready:>9.0f} {ready / base_ready:>6.2f}"
                f" {first:>13.1f}"
            )


if __name__ == "__main__":
    main()
