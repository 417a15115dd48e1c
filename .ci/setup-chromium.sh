#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (test/demo-page*.test.ts and others), when missing, and a
# Korean font (fonts-nanum), without which the Korean page and diagrams render Hangul as boxes.
# playwright-core drives /usr/bin/chromium; never `npx playwright install`. Call before `npm test`.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg -s fonts-nanum >/dev/null 2>&1 || need+=(fonts-nanum)
if [[ ${#need[@]} -gt 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[[ -x /usr/bin/chromium ]] || { echo "chromium did not install to /usr/bin/chromium"; exit 1; }
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo '?'); fonts-nanum: $(dpkg -s fonts-nanum 2>/dev/null | sed -n 's/^Version: //p')"
