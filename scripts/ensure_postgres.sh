#!/usr/bin/env bash
# Tests use the real PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth). Start it when it
# is installed but stopped; say what is missing otherwise (the tests then fail loudly).
set -uo pipefail
host="${PGHOST:-127.0.0.1}"; port="${PGPORT:-5432}"
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "postgres: starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && exit 0; sleep 1; done
fi
echo "postgres: not reachable at $host:$port; install and start PostgreSQL 15 (tests that need it will fail)" >&2
exit 0
