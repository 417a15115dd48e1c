import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { AppError, ERRORS, errorBody as body, type ErrorCode } from '../errors.js'
import { StoreUnavailableError, type KvStore } from '../stores/index.js'

/** Fastify's own client-error codes, mapped to this API's stable codes (answered with Fastify's status). */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request'
}

function isStoreFailure (err: unknown, store: KvStore): boolean {
  if (err instanceof StoreUnavailableError) return true
  // connect-redis (SESSION_REDIS_STORE=connect-redis, the benchmark's reference) hands ioredis's own
  // errors straight to @fastify/session.
  const name = (err as Error | undefined)?.name ?? ''
  // A command sent while the connection is going down fails before ioredis leaves the 'ready' state; a
  // Redis Cluster client stays 'ready' while one master is down or the cluster refuses commands.
  const message = (err as Error | undefined)?.message ?? ''
  return store.kind === 'redis' && (name === 'MaxRetriesPerRequestError' || !(store as { ready?: boolean }).ready ||
    /Stream isn't writeable|Connection is closed|^CLUSTERDOWN|^TRYAGAIN|Cluster isn't ready|Too many Cluster redirections/.test(message))
}

/** The single place errors become responses: stable JSON codes, never a stack trace, 500 only for bugs. */
export const errorHandler = fp(async function errorHandler (app: FastifyInstance, opts: { store: KvStore }) {
  app.setErrorHandler(function handle (error: FastifyError | AppError | Error, request, reply) {
    if (error instanceof AppError) {
      return reply.code(error.statusCode).headers(error.headers).send(body(error.code, error.message))
    }
    const fe = error as FastifyError
    if (fe.validation !== undefined) {
      return reply.code(ERRORS.invalid_request).send(body('invalid_request', fe.message))
    }
    if (isStoreFailure(error, opts.store)) {
      request.log.warn({ err: { type: error.name, message: error.message } }, 'store unavailable')
      return reply.code(ERRORS.store_unavailable).header('retry-after', '1').send(body('store_unavailable', 'the session/token store is unavailable; try again shortly'))
    }
    const status = fe.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const code = FASTIFY_CODES[fe.code] ?? (error instanceof SyntaxError ? 'invalid_json' : 'bad_request')
      return reply.code(status).send(body(code, fe.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.code(ERRORS.internal_error).send(body('internal_error', 'internal server error'))
  })

  app.setNotFoundHandler(function notFound (request, reply) {
    return reply.code(ERRORS.not_found).send(body('not_found', `no route ${request.method} ${request.url.split('?', 1)[0] ?? ''}`))
  })
}, { name: 'error-handler' })
