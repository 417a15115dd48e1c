/**
 * Stories 12 to 17: scale-out behind a load balancer, fat tokens, store cost over time, a rename's stale
 * claim, browser-session cookies, and the closing "is JWT a bad default?" with the project's own figures.
 * Appended to SCENARIOS by demo/scenarios.ts; their words are in demo/i18n/{en,ko}.ts.
 */
import type { Scenario } from '../scenarios.js'
import { browserClose } from './browser-close.js'
import { costOverTime } from './cost-over-time.js'
import { fatToken } from './fat-token.js'
import { loadBalancer } from './load-balancer.js'
import { rename } from './rename.js'
import { verdict } from './verdict.js'

export const MEASURED_STORIES: Scenario[] = [loadBalancer, fatToken, costOverTime, rename, browserClose, verdict].map((story, i) => ({ id: 12 + i, ...story }))
