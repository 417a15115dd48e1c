#!/usr/bin/env bash
# Smoke run of the soak (soak/README.md): 10 s of mixed traffic against each store (memory, and Redis via
# REDIS_URL, which .ci/run exports, else a throwaway redis-server). `npm run soak` exits non-zero on any
# unexpected answer, a dead server or RSS growth past --max-rss-growth-mb.
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 300 npm run soak -- --duration 10 --stores memory,redis
