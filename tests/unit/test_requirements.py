"""requirements.txt (what the buildpack and the gateway image install) is rendered, not edited."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import requirements  # noqa: E402


def test_requirements_txt_is_rendered_from_pyproject() -> None:
    assert (REPO_ROOT / "requirements.txt").read_text() == requirements.render(), (
        "requirements.txt is stale: run python scripts/requirements.py"
    )


def test_every_runtime_dependency_is_an_exact_pin() -> None:
    pins = requirements.runtime_pins()
    assert pins
    assert all(pin.count("==") == 1 for pin in pins)
    assert any(pin.lower().startswith("functions-framework==") for pin in pins)


def test_loose_dependency_is_refused(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["httpx>=0.27"]\n')
    try:
        requirements.render(pyproject)
    except ValueError as exc:
        assert "httpx>=0.27" in str(exc)
    else:
        raise AssertionError("a loose pin was accepted")
