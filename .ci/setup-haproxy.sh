#!/usr/bin/env bash
# Installs Debian's HAProxy for the scale-out test (test/scale-out.test.ts) and `npm run cluster`, when
# missing. The test fails under CI=true without it. Call before `npm test`.
set -euo pipefail
if command -v haproxy >/dev/null; then
  echo "haproxy present: $(haproxy -v 2>/dev/null | head -n 1)"
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
command -v haproxy >/dev/null || { echo "haproxy did not install"; exit 1; }
echo "haproxy installed: $(haproxy -v 2>/dev/null | head -n 1)"
