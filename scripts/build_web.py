"""Build the generated parts of web/: vendored browser libraries and the API docs index.

`vendor`: bundles the browser libraries pinned in package.json (JsSIP) from node_modules into
one ES module each under web/vendor/ with the pinned esbuild (same input, same bytes), plus
their licences. The output is git-ignored: bootstrap runs this step, and the deploy uploads
web/ after it. `docs`: renders web/docs/functions.json from the function manifest (committed;
`--check` fails when it is stale, and a test runs that). No argument does both.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "shared"))

from convonet.manifest import FUNCTIONS  # noqa: E402

WEB = REPO_ROOT / "web"
VENDOR = WEB / "vendor"
DOCS_INDEX = WEB / "docs" / "functions.json"
NODE_MODULES = REPO_ROOT / "node_modules"
# output file -> (entry module inside node_modules, licence file)
BUNDLES = {"jssip.js": ("jssip/lib/JsSIP.js", "jssip/LICENSE.md")}


def vendor() -> list[Path]:
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists():
        raise SystemExit("build_web: node_modules/.bin/esbuild is missing: run `npm ci` first")
    VENDOR.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (entry, licence) in BUNDLES.items():
        out = VENDOR / name
        subprocess.run(
            [
                str(esbuild),
                str(NODE_MODULES / entry),
                "--bundle",
                "--format=esm",
                "--platform=browser",
                "--target=es2020",
                "--minify",
                "--legal-comments=none",
                "--log-level=warning",
                f"--outfile={out}",
            ],
            check=True,
        )
        shutil.copyfile(NODE_MODULES / licence, VENDOR / f"{out.stem}.LICENSE.md")
        written.append(out)
    return written


def render_docs_index() -> str:
    """Every function, with the OpenAPI document the docs page fetches for HTTP ones."""
    functions = [
        {
            "name": spec.name,
            "kind": spec.kind,
            "summary": spec.summary,
            "paths": list(spec.paths),
            "topics": list(spec.topics),
            "openapi": f"{spec.primary_path}/openapi.json" if spec.kind == "http" else None,
            "healthz": f"{spec.primary_path}/healthz" if spec.kind == "http" else None,
        }
        for spec in FUNCTIONS
    ]
    return json.dumps({"functions": functions}, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", choices=("vendor", "docs"), help="one step only")
    parser.add_argument("--check", action="store_true", help="fail if functions.json is stale")
    args = parser.parse_args(argv)
    if args.check:
        if not DOCS_INDEX.exists() or DOCS_INDEX.read_text() != render_docs_index():
            print(f"{DOCS_INDEX.relative_to(REPO_ROOT)} is stale: run scripts/build_web.py docs")
            return 1
        return 0
    if args.step in (None, "docs"):
        DOCS_INDEX.write_text(render_docs_index())
        print(f"wrote {DOCS_INDEX.relative_to(REPO_ROOT)}")
    if args.step in (None, "vendor"):
        for path in vendor():
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
