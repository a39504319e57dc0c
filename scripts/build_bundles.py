"""Build one deterministic source zip per Cloud Function, as Terraform deploys them.

A bundle holds the function's folder at the root (so `main.py` is where the buildpack looks),
the `convonet` package from `shared/`, and the rendered root `requirements.txt`. Entries are
sorted and carry a fixed timestamp and mode, so identical input gives an identical zip and
hash: Terraform names each Cloud Storage object by that hash, and only a changed bundle
redeploys its function. Writes build/bundles/<name>.zip and build/bundles/manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
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


def bundle_entries(spec: FunctionSpec) -> dict[str, bytes]:
    """Archive name -> content for one function's bundle."""
    folder = spec.source.parent
    if not spec.source.is_file():
        raise FileNotFoundError(f"{spec.name}: {spec.source} does not exist")
    entries = {p.relative_to(folder).as_posix(): p.read_bytes() for p in _files(folder)}
    entries.update(
        {
            f"convonet/{p.relative_to(SHARED_PACKAGE).as_posix()}": p.read_bytes()
            for p in _files(SHARED_PACKAGE)
        }
    )
    entries["requirements.txt"] = requirements.render().encode()
    return entries


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
    for spec in bundled_functions():
        target = out_dir / f"{spec.name}.zip"
        digest = write_zip(bundle_entries(spec), target)
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
