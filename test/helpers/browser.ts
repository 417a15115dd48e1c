import type { Test } from 'tap'
import { CHROMIUM, chromiumFound } from '../../harness/browser.js'

/**
 * The browser tests' rule for a missing Chromium: a loud skip on a developer's machine, a failure with
 * CI=true. Returns the `skip` option for each browser test (false when Chromium is there).
 */
export function chromiumOrSkip (t: Test, what: string): false | string {
  if (chromiumFound()) return false
  if (process.env.CI === 'true') t.fail(`CI=true but no Chromium at ${CHROMIUM}: run .ci/setup-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH`)
  else console.error(`\n*** ${what} SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH) ***\n`)
  return `no Chromium at ${CHROMIUM}`
}
