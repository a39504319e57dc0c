"""Build one deterministic source zip per Cloud Function, as Terraform deploys them.

A bundle holds the function's folder at the root (so `main.py` is where the buildpack looks),
the `convonet` package from `shared/`, the rendered root `requirements.txt`, and the bytecode
of every module: checked-hash `.pyc` files, which stay valid whatever timestamps the unpacked
files get and are refused if their source differs, so a cold start loads modules instead of
compiling them (some 8-20 ms of a light function's). They are compiled by the interpreter
that builds, for its own version: build with the runtime's (Python 3.11 for `python311`), or
the runtime ignores them and compiles as before. Entries are sorted and carry a fixed
timestamp and mode, and the bytecode is compiled with a fixed hash seed, so identical input
gives an identical zip and hash: Terraform names each Cloud Storage object by that hash, and
only a changed bundle redeploys its function. Writes build/bundles/<name>.zip and
build/bundles/manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "shared"))
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import requirements  # noqa: E402
from convonet.manifest import FUNCTIONS, FunctionSpec  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "build" / "bundles"
SHARED_PACKAGE = REPO_ROOT / "shared" / "convonet"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
SKIPPED_DIRS = {"__pycache__", "tests", ".pytest_cache", ".mypy_cache"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def bundled_functions() -> list[FunctionSpec]:
    """The functions deployed as Cloud Functions (the voice gateway ships as an image)."""
    return [f for f in FUNCTIONS if f.kind in ("http", "event")]


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        skipped = SKIPPED_DIRS.intersection(rel.parts[:-1]) or path.suffix in SKIPPED_SUFFIXES
        if path.is_file() and not skipped:
            yield path


_COMPILE = """
import compileall, py_compile, sys
mode = py_compile.PycInvalidationMode.CHECKED_HASH
sys.exit(0 if compileall.compile_dir(sys.argv[1], quiet=2, ddir="", invalidation_mode=mode) else 1)
"""


def shared_entries() -> dict[str, bytes]:
    """The `convonet` package's part of every bundle (sources and their bytecode)."""
    sources = {
        f"convonet/{p.relative_to(SHARED_PACKAGE).as_posix()}": p.read_bytes()
        for p in _files(SHARED_PACKAGE)
    }
    return {**sources, **bytecode(sources)}


def bundle_entries(spec: FunctionSpec, shared: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Archive name -> content for one function's bundle (`shared`: `shared_entries()`, made
    once for many bundles)."""
    folder = spec.source.parent
    if not spec.source.is_file():
        raise FileNotFoundError(f"{spec.name}: {spec.source} does not exist")
    entries = {p.relative_to(folder).as_posix(): p.read_bytes() for p in _files(folder)}
    entries.update(bytecode(entries))
    entries.update(shared if shared is not None else shared_entries())
    entries["requirements.txt"] = requirements.render().encode()
    return entries


def bytecode(sources: dict[str, bytes]) -> dict[str, bytes]:
    """Archive name -> checked-hash `.pyc` for each Python source among `sources`, compiled in
    a child with a fixed hash seed (constant sets are marshalled in hash order)."""
    modules = {name: data for name, data in sources.items() if name.endswith(".py")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in modules.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run([sys.executable, "-c", _COMPILE, tmp], env=env, check=True)
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("__pycache__/*.pyc"))
        }


def write_zip(entries: dict[str, bytes], target: Path) -> str:
    """Write a reproducible zip and return its sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = FILE_MODE << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def build(out_dir: Path = DEFAULT_OUT) -> dict[str, dict[str, str]]:
    """Build every bundle into `out_dir`; return and write the manifest of hashes."""
    manifest: dict[str, dict[str, str]] = {}
    shared = shared_entries()
    for spec in bundled_functions():
        target = out_dir / f"{spec.name}.zip"
        digest = write_zip(bundle_entries(spec, shared), target)
        manifest[spec.name] = {"file": target.name, "sha256": digest}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    for name, entry in build(args.out).items():
        print(f"{entry['sha256'][:12]}  {args.out / entry['file']}  ({name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
