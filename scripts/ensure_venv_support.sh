#!/usr/bin/env bash
# Debian's python3 ships without venv; install it (python3-venv) when `python3 -m venv` fails.
set -euo pipefail
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
