import { ConfigError, helpText, loadConfig, parseCli, type Config } from './config/config.js'
import { buildApp } from './app.js'
import { StoreUnavailableError, redactUrl } from './stores/index.js'

/**
 * fast-jwt warns whenever a custom cacheKeyBuilder is set (GHSA-rp9m-7r4c-75qg): a builder whose keys can
 * collide would let one token's cached claims answer for another. Ours returns the whole token, which
 * cannot collide (src/strategies/jwt/access-tokens.ts). Every other warning is printed as Node would.
 */
const KNOWN_SAFE_WARNINGS = new Set(['FAST_JWT_CACHE_KEY_BUILDER_SECURITY_RISK'])

function printWarningsExceptKnownSafe (): void {
  process.removeAllListeners('warning')
  process.on('warning', warning => {
    if (KNOWN_SAFE_WARNINGS.has((warning as Error & { code?: string }).code ?? '')) return
    console.error(`(node:${process.pid}) ${warning.name}: ${warning.message}`)
  })
}

/** The listening entry: config from env and flags, the app, signals. Everything else is in app.ts. */
async function main (): Promise<void> {
  printWarningsExceptKnownSafe()
  let config: Config
  try {
    const cli = parseCli(process.argv.slice(2))
    if (cli.help) {
      console.log(helpText())
      return
    }
    config = loadConfig(process.env, cli.overrides)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`config error: ${err.message}`)
      process.exit(2)
    }
    throw err
  }

  let app
  try {
    app = await buildApp(config)
  } catch (err) {
    // Some settings (JWT key files) can only be checked while building the app.
    if (err instanceof ConfigError) {
      console.error(`config error: ${err.message}`)
      process.exit(2)
    }
    if (err instanceof StoreUnavailableError) {
      const cause = (err.cause as Error | undefined)?.message ?? 'no answer'
      const [setting, url, server] = config.store === 'postgres'
        ? ['DATABASE_URL', redactUrl(config.databaseUrl), 'PostgreSQL']
        : config.redisClusterNodes.length > 0
          ? ['REDIS_CLUSTER_NODES', config.redisClusterNodes.map(n => `${n.host}:${n.port}`).join(','), 'Redis']
          : ['REDIS_URL', redactUrl(config.redisUrl), 'Redis']
      console.error(`config error: ${setting}: cannot reach ${url} (${cause}); start ${server} or use STORE=memory`)
      process.exit(2)
    }
    throw err
  }
  for (const warning of config.warnings) app.log.warn(warning)
  if (config.cookieSecure === true && config.strategies.includes('session')) {
    app.log.info('COOKIE_SECURE=true: session login needs https; set COOKIE_SECURE=false for plain-http local use')
  }

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) process.exit(1)
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'error during shutdown')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })

  await app.listen({ host: config.host, port: config.port })
  app.log.info({ strategies: config.strategies, store: config.store, demoMode: config.demoMode, cookieSecure: config.cookieSecure }, 'session-vs-jwt ready')
  if (config.demoMode) app.log.info(`demo mode: open ${app.listeningOrigin}/ and log in as alice/alice-password, bob/bob-password${config.adminPassword === null ? ' or admin/admin-password' : ' (admin: ADMIN_PASSWORD)'}`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
