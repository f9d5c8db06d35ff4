#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing.
# PostgreSQL 15 is started per test session by the tests themselves (a throwaway cluster on
# loopback, see src/gongji/devtools/pg_cluster.py); nothing is left running.
set -euo pipefail
need=()
for pkg in postgresql-15 chromium fonts-wqy-zenhei poppler-utils poppler-data; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # Chromium with its recommends: the combination proven on this machine kind (SETUP-NOTES §2).
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
[[ -x /usr/lib/postgresql/15/bin/initdb && -x /usr/lib/postgresql/15/bin/pgbench ]] || { echo "PostgreSQL 15 binaries missing" >&2; exit 1; }
[[ -x /usr/bin/chromium ]] || { echo "Chromium missing" >&2; exit 1; }
echo "services ready: PostgreSQL $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null | head -1)"
