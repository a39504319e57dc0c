"""Cold start of each built HTTP function, served the production way, against hello-world.

Each function is served from its unpacked bundle (scripts/build_bundles.py: its folder, the
`convonet` package and their bytecode, first on PYTHONPATH), hello-world from a folder with its
own bytecode likewise. Each run spawns `functions-framework --target NAME --source
BUNDLE/main.py --port P` (what the Cloud Functions runtime runs) and times process start to
the first successful `<prefix>/healthz` (ready), then the first real request
(`<prefix>/openapi.json`, which builds the function's whole router and schemas; for
reservations the menu, which reads the database). The cold start is their sum, the figure a
caller waits for; its ratio to the same sum for tests/scenarios/hello/main.py under the same
command is the one the light functions must keep under 3 (issue 9). Best of N per figure; a
hello-world run precedes each function run, so a load spike on a shared machine skews both
alike, and each function's ratio is to the best of its own N hello-world runs: the best of
every hello-world run in the bench would be a minimum over many more samples than the
function's, lower by chance alone on a noisy machine. Figures only.

    .venv/bin/python bench/cold_start.py [--runs 5] [--only reservations auth_api]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
from convonet.manifest import REPO_ROOT, FunctionSpec, http_functions

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import build_bundles  # noqa: E402

HELLO = REPO_ROOT / "tests" / "scenarios" / "hello" / "main.py"
FRAMEWORK = Path(sys.executable).parent / "functions-framework"
FIRST_REQUEST = {"reservations": "/api/reservations/menu"}
_START_LIMIT_S = 60.0
LIGHT_TARGET = 3.0


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


Sample = tuple[float, float]


def unpack(spec: FunctionSpec, shared: dict[str, bytes], into: Path) -> Path:
    """The function's bundle, unpacked as the runtime unpacks it; returns its main.py."""
    archive = into / f"{spec.name}.zip"
    build_bundles.write_zip(build_bundles.bundle_entries(spec, shared), archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(into / spec.name)
    return into / spec.name / "main.py"


def hello_folder(into: Path) -> Path:
    """Hello-world's main.py with its bytecode beside it, as a bundle of it would ship."""
    entries = {"main.py": HELLO.read_bytes()}
    for name, data in {**entries, **build_bundles.bytecode(entries)}.items():
        (into / "hello" / name).parent.mkdir(parents=True, exist_ok=True)
        (into / "hello" / name).write_bytes(data)
    return into / "hello" / "main.py"


def _served(source: Path, env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(source.parent)}


def _hello(source: Path, env: dict[str, str]) -> Sample:
    return cold_start("hello", source, "/", "/", _served(source, env))


def _function(spec: FunctionSpec, source: Path, env: dict[str, str]) -> Sample:
    prefix = spec.primary_path
    first = FIRST_REQUEST.get(spec.name, f"{prefix}/openapi.json")
    return cold_start(spec.entry_point, source, f"{prefix}/healthz", first, _served(source, env))


def _best(samples: list[Sample]) -> Sample:
    return min(s[0] for s in samples), min(s[1] for s in samples)


def _measured(only: list[str]) -> list[FunctionSpec]:
    return [
        spec
        for spec in http_functions()
        if spec.built and spec.source.exists() and (not only or spec.name in only)
    ]


def _verdict(light: dict[str, float]) -> str:
    if not light:
        return "light functions: none measured"
    under = sum(ratio < LIGHT_TARGET for ratio in light.values())
    worst = max(light, key=lambda name: light[name])
    return (
        f"light functions under {LIGHT_TARGET:g}x: {under} of {len(light)}"
        f" (max ratio {light[worst]:.2f}, {worst})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=[], help="function names (default: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = _environment(workdir)
        shared = build_bundles.shared_entries()
        hello_source = hello_folder(workdir)
        hello = [_hello(hello_source, env) for _ in range(args.runs)]
        measured: dict[str, tuple[FunctionSpec, Sample, Sample]] = {}
        for spec in _measured(args.only):
            source = unpack(spec, shared, workdir)
            samples, paired = [], []
            for _ in range(args.runs):
                # Hello-world runs between the function's, so both see the same machine load.
                paired.append(_hello(hello_source, env))
                samples.append(_function(spec, source, env))
            hello += paired
            measured[spec.name] = (spec, _best(samples), _best(paired))
    base_ready, base_first = _best(hello)
    print(
        f"hello-world: ready {base_ready:.0f} ms + first request {base_first:.1f} ms"
        f" = {base_ready + base_first:.0f} ms (best of all {len(hello)} runs)"
    )
    print(
        f"{'function':<20} {'weight':<6} {'ready ms':>9} {'first req ms':>13}"
        f" {'cold ms':>8} {'hello ms':>9} {'ratio':>6}"
    )
    light: dict[str, float] = {}
    for name, (spec, (ready, first), hello_best) in measured.items():
        base = sum(hello_best)
        ratio = (ready + first) / base
        if spec.weight == "light":
            light[name] = ratio
        print(
            f"{name:<20} {spec.weight:<6} {ready:>9.0f} {first:>13.1f}"
            f" {ready + first:>8.0f} {base:>9.0f} {ratio:>6.2f}"
        )
    print(
        f"best of {args.runs} per function and of its {args.runs} hello-world runs; "
        + _verdict(light)
    )


if __name__ == "__main__":
    main()
