/** The real app inside the caller's process (tests): built from src, ready by the same /ready check. */
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../src/app.js'
import { loadConfig, type Config } from '../src/config/config.js'
import { waitReady } from './server.js'

export interface InProcessServer {
  app: FastifyInstance
  config: Config
  url: string
  close: () => Promise<void>
}

/** Builds the app from `env` inside this process (no logger), listens on a free loopback port, waits for /ready. */
export async function startInProcess (env: Record<string, string>, options: Pick<BuildOptions, 'mounts'> = {}): Promise<InProcessServer> {
  const config = loadConfig(env)
  const app = await buildApp(config, { ...options, logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  try {
    await waitReady(url, { timeoutMs: 20_000 })
  } catch (err) {
    await app.close()
    throw err
  }
  return { app, config, url, close: async () => { await app.close() } }
}
