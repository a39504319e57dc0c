#!/usr/bin/env bash
# Installs what `make dev` and `make test` need; fast when everything is already in place.
# `bootstrap.sh test` also installs the test-only tools (checkov, Chromium, Kamailio);
# `bootstrap.sh bench` the benches' reference framework (Pipecat).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
PURPOSE="${1:-dev}"
VENV=.venv

need() { command -v "$1" >/dev/null 2>&1; }

# own_venv DIR REQUIREMENT: a tool whose pins clash with the project's, in a venv of its own;
# reinstalled only when the requirement changes.
own_venv() {
  local stamp="$1/.installed-$(echo "$2" | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    echo "bootstrap: installing $2 into $1"
    [ -x "$1/bin/python" ] || "$PYTHON" -m venv "$1"
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check "$2"
    rm -f "$1"/.installed-*
    touch "$stamp"
  fi
}

if ! need "$PYTHON"; then echo "bootstrap: install Python 3.11+ first" >&2; exit 1; fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: Python 3.11+ is required ($("$PYTHON" --version))" >&2; exit 1
fi

stamp="$VENV/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python packages into $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

if [ -f package.json ]; then
  if ! need npm; then echo "bootstrap: install Node.js (with npm) first" >&2; exit 1; fi
  nstamp="node_modules/.installed-$(cat package.json package-lock.json 2>/dev/null | sha1sum | cut -c1-12)"
  if [ ! -f "$nstamp" ]; then
    echo "bootstrap: installing npm packages"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
    rm -f node_modules/.installed-*
    touch "$nstamp"
  fi
fi

# Browser libraries for web/ (JsSIP), bundled from node_modules into web/vendor/ (git-ignored).
if [ -f package.json ]; then "$VENV/bin/python" scripts/build_web.py vendor >/dev/null; fi

# `make bench` measures Pipecat beside Convonet (bench/voice_turn.py's same-machine reference);
# Pipecat pins what clashes with the project's dependencies: own venv.
if [ "$PURPOSE" = bench ]; then
  own_venv .venv-pipecat pipecat-ai==1.14.0
  exit 0
fi

if [ "$PURPOSE" != test ]; then exit 0; fi

# checkov (Terraform policy checks) pins dependencies that clash with the project's: own venv.
own_venv .venv-checkov checkov==3.3.30

# Debian's Chromium for the Playwright browser tests (Playwright never downloads a browser).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "bootstrap: installing chromium (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "bootstrap: browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2
  fi
fi

# Kamailio as the SIP-over-WebSocket registrar/proxy of the browser transfer test (auth_ephemeral
# checks the same short-lived credentials as the PBX).
KAMAILIO_PACKAGES="kamailio kamailio-websocket-modules kamailio-autheph-modules"
if ! ls /usr/lib/*/kamailio/modules/auth_ephemeral.so >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "bootstrap: installing kamailio (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $KAMAILIO_PACKAGES >/dev/null
  else
    echo "bootstrap: the SIP transfer test needs: sudo apt-get install -y $KAMAILIO_PACKAGES" >&2
  fi
fi
