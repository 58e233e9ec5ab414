#!/usr/bin/env bash
# Installs Debian's chromium (the browser the e2e test in test/browser drives through
# playwright-core) when /usr/bin/chromium is missing. Needs root, or sudo, and apt.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensureChromium: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "ensureChromium: /usr/bin/chromium is missing; run as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
fi
"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
/usr/bin/chromium --version
