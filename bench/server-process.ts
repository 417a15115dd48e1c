import { cpSync, existsSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVER_ENTRY, startServer as startHarnessServer, type ServerProcess, type StartOptions } from '../harness/server.js'

export type { ServerProcess }

/** A private copy of dist/ taken when the bench starts; every scenario runs this same build. */
export const SNAPSHOT_DIR = resolve('bench/.server-snapshot')
let snapshotEntry: string | null = null

/**
 * Copies dist/ so that a rebuild while the bench runs (npm test builds dist/ too) cannot change the
 * server between scenarios or break one mid-start. Modules still resolve from the project's node_modules.
 */
export function snapshotServerBuild (): string {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first (npm run bench does)`)
  rmSync(SNAPSHOT_DIR, { recursive: true, force: true })
  cpSync(resolve('dist'), SNAPSHOT_DIR, { recursive: true })
  snapshotEntry = resolve(SNAPSHOT_DIR, 'server.js')
  return snapshotEntry
}

/** The harness's startServer (harness/server.ts) on the snapshot, once taken. */
export async function startServer (options: Omit<StartOptions, 'entry'>): Promise<ServerProcess> {
  return await startHarnessServer({ ...options, ...(snapshotEntry === null ? {} : { entry: snapshotEntry }) })
}

const BREAKDOWN_ENTRY = fileURLToPath(new URL('./breakdown/server.ts', import.meta.url))
// tsx's ESM loader by absolute URL, as the peers use it.
const TSX = import.meta.resolve('tsx')

/**
 * A breakdown variant's server (bench/breakdown/server.ts through tsx), built from the same snapshot of
 * dist/ as every scenario, started and stopped through the harness like `node dist/server.js`.
 */
export async function startBreakdownServer (variant: string, options: Omit<StartOptions, 'entry'>): Promise<ServerProcess> {
  return await startHarnessServer({
    ...options,
    entry: BREAKDOWN_ENTRY,
    nodeArgs: ['--import', TSX, ...(options.nodeArgs ?? [])],
    env: { ...options.env, BENCH_BREAKDOWN_VARIANT: variant, BENCH_DIST: snapshotEntry === null ? fileURLToPath(new URL('../dist/', import.meta.url)) : SNAPSHOT_DIR }
  })
}
