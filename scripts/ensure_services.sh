#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when they are missing.
# PostgreSQL 15 is started per test session by the tests themselves (a throwaway cluster on
# loopback, see src/gongji/devtools/pg_cluster.py); nothing is left running.
set -euo pipefail
need=()
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || need+=(postgresql-15 postgresql-client-15)
[[ -x /usr/lib/postgresql/15/bin/pgbench ]] || need+=(postgresql-15)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-zenhei)
command -v pdftotext >/dev/null || need+=(poppler-utils)
[[ -d /usr/share/poppler/cMap ]] || need+=(poppler-data)
if ((${#need[@]})); then
  echo "installing Debian packages: ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
id postgres >/dev/null 2>&1 || { echo "user postgres missing after install" >&2; exit 1; }
echo "services ready: PostgreSQL $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null | head -1)"
