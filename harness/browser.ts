/**
 * Debian's Chromium through playwright-core (never a downloaded browser), as the browser tests and the
 * demo's browser story use it: headless, a fresh profile removed on close, and none of Chromium's own
 * background traffic, so that a test's "no external request" check sees only what the page asked for.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Whether Chromium is installed where CHROMIUM says (`.ci/setup-chromium.sh` installs it). */
export const chromiumFound = (): boolean => existsSync(CHROMIUM)

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

export interface Browser {
  context: BrowserContext
  /** The profile's first tab. */
  page: Page
  /** Closes the browser and deletes its profile. */
  close: () => Promise<void>
}

export async function launchChromium (options: { viewport?: { width: number, height: number } } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  const profile = mkdtempSync(join(tmpdir(), 'svj-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    ...(options.viewport === undefined ? {} : { viewport: options.viewport })
  })
  const page = context.pages()[0] ?? await context.newPage()
  return {
    context,
    page,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
