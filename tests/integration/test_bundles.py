"""Function bundles: deterministic, each one imports its entry point on its own, and each
module ships its bytecode (a checked-hash .pyc of exactly its source).

Every bundle is unpacked and imported in a fresh interpreter that sees only the bundle and
the installed third-party packages (no repository checkout, no editable install), the way
the Cloud Functions runtime sees it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import build_bundles  # noqa: E402

IMPORT_CHECK = """
import importlib, json, sys
bundle, site_packages, entry_point = sys.argv[1:4]
sys.path.insert(0, bundle)
sys.path.append(site_packages)
module = importlib.import_module("main")
import convonet
print(json.dumps({
    "callable": callable(getattr(module, entry_point, None)),
    "main": module.__file__,
    "convonet": convonet.__file__,
    "heavy": sorted(m for m in ("anthropic", "langgraph", "openai") if m in sys.modules),
}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    out = tmp_path_factory.mktemp("bundles")
    return out, build_bundles.build(out)


def test_every_event_and_http_function_has_a_bundle(built: tuple[Path, dict]) -> None:
    out, manifest = built
    assert set(manifest) == {f.name for f in build_bundles.bundled_functions()}
    assert json.loads((out / "manifest.json").read_text()) == manifest
    for entry in manifest.values():
        assert (out / entry["file"]).is_file()


def test_building_twice_gives_identical_hashes(built: tuple[Path, dict], tmp_path: Path) -> None:
    _, first = built
    assert build_bundles.build(tmp_path) == first


def test_bundle_entries_are_sorted_with_fixed_time_and_mode(built: tuple[Path, dict]) -> None:
    out, manifest = built
    with zipfile.ZipFile(out / manifest["auth_api"]["file"]) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "convonet/__init__.py", "convonet/manifest.py"} <= set(
        names
    )
    assert {i.date_time for i in infos} == {build_bundles.ZIP_EPOCH}
    assert {i.external_attr >> 16 for i in infos} == {build_bundles.FILE_MODE}


def test_every_module_ships_checked_hash_bytecode_of_its_source(built: tuple[Path, dict]) -> None:
    out, manifest = built
    with zipfile.ZipFile(out / manifest["workspace_api"]["file"]) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    sources = [name for name in entries if name.endswith(".py")]
    assert "main.py" in sources and "convonet/domain/calendar.py" in sources
    for name in sources:
        pyc = entries[Path(importlib.util.cache_from_source(name)).as_posix()]
        assert pyc[:4] == importlib.util.MAGIC_NUMBER
        assert int.from_bytes(pyc[4:8], "little") == 0b11, f"{name}: not checked-hash"
        assert pyc[8:16] == importlib.util.source_hash(entries[name]), f"{name}: stale"


@pytest.mark.parametrize("spec", build_bundles.bundled_functions(), ids=lambda s: s.name)
def test_entry_point_imports_from_the_unpacked_bundle_alone(
    spec: build_bundles.FunctionSpec, built: tuple[Path, dict], tmp_path: Path
) -> None:
    out, manifest = built
    bundle = tmp_path / spec.name
    with zipfile.ZipFile(out / manifest[spec.name]["file"]) as archive:
        archive.extractall(bundle)
    assert (bundle / "requirements.txt").read_text() == build_bundles.requirements.render()

    # -I: no PYTHONPATH, no cwd, no user site; -S: no site-packages (so no editable convonet).
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            IMPORT_CHECK,
            str(bundle),
            sysconfig.get_paths()["purelib"],
            spec.entry_point,
        ],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
        env={"CONVONET_ENV": "test", "LOG_FORMAT": "text", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["callable"], f"main.py does not expose {spec.entry_point}"
    assert Path(loaded["main"]).resolve() == (bundle / "main.py").resolve()
    assert Path(loaded["convonet"]).resolve().is_relative_to(bundle.resolve())
    if spec.weight == "light":
        assert loaded["heavy"] == [], f"light function {spec.name} imports {loaded['heavy']}"
