#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python and Node: Chromium for the browser tests
# (Debian's build, driven by Playwright with executable_path; never a browser download).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing: run 'sudo apt-get install chromium' (needed by the browser tests)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
