#!/usr/bin/env bash
# Smoke run of the benchmark suite (bench/README.md): every scenario runs briefly with zero errors and the
# revocation matrix matches what each strategy promises; `npm run bench` exits non-zero otherwise.
# Uses REDIS_URL when set (.ci/run exports it), else a throwaway redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
timeout 600 npm run bench -- --quick
