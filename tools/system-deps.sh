#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python and Node: Chromium for the browser tests
# (Debian's build, driven by Playwright with executable_path; never a browser download) and
# Redis for the tests of the shared cache (started by the tests on loopback, never as a service).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing: ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (needed by the tests)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
# Debian's package may start a system Redis on 6379; the tests use their own, so stop it.
if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
