#!/usr/bin/env bash
# The whole suite: lint, types, then pytest (unit, integration against real services, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_postgres.sh
echo "== ruff";  .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy";  .venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -p no:cacheprovider "$@"
