#!/usr/bin/env bash
# Installs Debian's Chromium for the demo page's browser test (test/demo-page.test.ts), when missing.
# playwright-core drives /usr/bin/chromium; never `npx playwright install`. Call before `npm test`.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
[[ -x /usr/bin/chromium ]] || { echo "chromium did not install to /usr/bin/chromium"; exit 1; }
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
