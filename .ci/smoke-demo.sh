#!/usr/bin/env bash
# Smoke: the teaching demo is also an end-to-end test. Runs every scenario against every strategy with the
# memory store and with Redis (REDIS_URL, set by .ci/run) and fails when any observed outcome differs from
# what the strategy promises (npm run demo exits 1), then tells three stories in Korean. The reports stay in test-artifacts/.
# The stores redis-cached and postgres are run by test/demo-runner.test.ts (a subset of stories); their full
# runs are for a quiet machine (`npx tsx demo/run.ts --store postgres`).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
npx tsc -p tsconfig.json --noEmit || { echo "demo does not compile"; exit 1; }
status=0
for store in memory redis; do
  out="test-artifacts/demo-${store}.json"
  # dist/ is already built by .ci/run; run the runner with tsx directly (not npm run) so stdout is only JSON.
  npx tsx demo/run.ts --json --store "$store" > "$out"
  rc=$?
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    for (const row of r.matrix) console.log(String(row.scenario).padStart(2), Object.entries(row.cells).map(([k, c]) => `${c.match ? "ok" : "MISMATCH"} ${k}: ${c.label}`).join(" | "))
    console.log(`store ${r.store}: ${r.ok ? "all as expected" : r.mismatches + " mismatch(es)"} in ${r.seconds} s`)
  ' "$out" || rc=1
  [[ $rc -eq 0 ]] || status=1
done
# The same runner in Korean (--lang ko): the outcomes are checked as in English, and the narration must be Korean.
out="test-artifacts/demo-ko.txt"
NO_COLOR=1 npx tsx demo/run.ts --lang ko --scenario 2,3,7 > "$out"
rc=$?
grep -q '결과 .*모두 예상대로' "$out" || { echo "demo --lang ko: no Korean verdict line"; rc=1; }
grep -q '· alice가 로그아웃합니다' "$out" || { echo "demo --lang ko: no Korean narration"; rc=1; }
echo "demo --lang ko (scenarios 2, 3, 7): $( [[ $rc -eq 0 ]] && echo 'all as expected, narrated in Korean' || echo FAILED )"
[[ $rc -eq 0 ]] || status=1
exit $status
