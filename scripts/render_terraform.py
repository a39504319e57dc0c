"""Render terraform/functions.json from the function manifest.

Terraform reads this file with `jsondecode(file(...))`, so the manifest stays the one source
of truth for what is deployed, where it is routed, what it reads and what it may touch.
`--check` fails when the file is stale (a test runs it too).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "shared"))

from convonet.manifest import FUNCTIONS, TOPICS, FunctionSpec  # noqa: E402

OUTPUT = REPO_ROOT / "terraform" / "functions.json"


def secret_id(env_name: str) -> str:
    """The Secret Manager secret id for a secret environment variable (JWT_SECRET -> jwt-secret)."""
    return env_name.lower().replace("_", "-")


def _function(spec: FunctionSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "entry_point": spec.entry_point,
        "source": spec.source.relative_to(REPO_ROOT).as_posix(),
        "summary": spec.summary,
        "weight": spec.weight,
        "paths": list(spec.paths),
        "topics": list(spec.topics),
        "publishes": list(spec.publishes),
        "settings": list(spec.all_settings()),
        "secrets": list(spec.all_secrets()),
        "memory_mb": spec.memory_mb,
        "concurrency": spec.concurrency,
        "timeout_s": spec.timeout_s,
        "min_instances": spec.min_instances,
        "public": spec.public,
        "uses_db": spec.uses_db,
    }


def render() -> str:
    secrets = sorted({s for f in FUNCTIONS for s in f.all_secrets()})
    catalog = {
        "generated_by": "scripts/render_terraform.py from shared/convonet/manifest.py; do not edit",
        "functions": {f.name: _function(f) for f in FUNCTIONS if f.kind != "service"},
        "services": {f.name: _function(f) for f in FUNCTIONS if f.kind == "service"},
        "topics": list(TOPICS),
        "secrets": {name: secret_id(name) for name in secrets},
    }
    return json.dumps(catalog, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print("terraform/functions.json is stale: run render_terraform.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
