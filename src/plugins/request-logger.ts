import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Record<string, unknown>

/**
 * A request's logger, created when the request first logs at an enabled level. Fastify gives every
 * request a pino child (`{ reqId }`), which serialises its bindings at creation: about 2 µs per request
 * in the protected-route profile, spent on requests that never log at LOG_LEVEL=warn. This stands in for
 * the child until a line is written, then forwards everything to the real child (same bindings, same
 * redaction, same output).
 */
class LazyRequestLogger {
  private real: FastifyBaseLogger | null = null

  constructor (private readonly parent: FastifyBaseLogger, private readonly bindings: Bindings, private readonly options: object) {}

  private get logger (): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options)
    return this.real
  }

  get level (): string { return this.real?.level ?? this.parent.level }
  set level (level: string) { this.logger.level = level }

  isLevelEnabled (level: string): boolean {
    // pino loggers answer this; any other logger is asked by writing (the child is created then).
    const logger = (this.real ?? this.parent) as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }
    return logger.isLevelEnabled?.(level) ?? true
  }

  child (bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.logger.child(bindings, options)
  }

  private write (level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return
    ;(this.logger[level] as (...a: unknown[]) => void)(...args)
  }

  fatal (...args: unknown[]): void { this.write('fatal', args) }
  error (...args: unknown[]): void { this.write('error', args) }
  warn (...args: unknown[]): void { this.write('warn', args) }
  info (...args: unknown[]): void { this.write('info', args) }
  debug (...args: unknown[]): void { this.write('debug', args) }
  trace (...args: unknown[]): void { this.write('trace', args) }
  silent (): void {}
}

/** Fastify's `childLoggerFactory`: the request logger above instead of an eager pino child. */
export const lazyChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = function lazyChildLogger (logger, bindings, options) {
  return new LazyRequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger
}
