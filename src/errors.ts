/**
 * Every error code this API answers with, and its HTTP status: the one list clients (and src/README.md's
 * error table) can rely on. A code is stable once published; add new ones here.
 */
export const ERRORS = {
  // Credentials (401: log in, or log in again)
  missing_credentials: 401,
  invalid_credentials: 401,
  session_expired: 401,
  session_revoked: 401,
  invalid_token: 401,
  token_expired: 401,
  token_revoked: 401,
  invalid_refresh_token: 401,
  refresh_token_reused: 401,
  login_superseded: 401,
  // Not allowed (403). account_disabled is 401 where a refresh is refused: see RefreshRefused.
  account_disabled: 403,
  forbidden: 403,
  csrf_rejected: 403,
  // Bad requests (4xx)
  bad_request: 400,
  invalid_request: 400,
  invalid_json: 400,
  invalid_content_length: 400,
  bad_url: 400,
  insecure_transport: 400,
  nothing_to_steal: 400,
  not_found: 404,
  user_not_found: 404,
  device_not_found: 404,
  loot_not_found: 404,
  run_not_found: 404,
  conflict: 409,
  username_taken: 409,
  run_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_attempts: 429,
  // The server (5xx)
  internal_error: 500,
  runner_unavailable: 501,
  store_unavailable: 503,
  change_incomplete: 503,
  page_not_built: 503
} as const satisfies Record<string, number>

export type ErrorCode = keyof typeof ERRORS
/** The codes answered 401. */
export type UnauthorizedCode = { [C in ErrorCode]: typeof ERRORS[C] extends 401 ? C : never }[ErrorCode]

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: ErrorCode
  message: string
}

export const errorBody = (error: ErrorCode, message: string): ErrorBody => ({ error, message })

/**
 * An error with a stable machine-readable code, answered with the code's status as
 * `{"error": code, "message": message}`. Everything a client can cause is one of these; anything else is
 * a bug and answers 500.
 */
export class AppError extends Error {
  override name = 'AppError'
  readonly statusCode: number
  constructor (
    readonly code: ErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message)
    this.statusCode = ERRORS[code]
  }
}

/** A refused credential: 401, and only with a 401 code. */
export const unauthorized = (code: UnauthorizedCode, message: string, headers?: Record<string, string>): AppError =>
  new AppError(code, message, headers)

/**
 * A refresh refused because the account may no longer log in: `account_disabled`, but 401 rather than
 * the 403 a login gets, because a refresh client's one rule is "401: log in again" (and the login has
 * ended: the family is gone).
 */
export class RefreshRefused extends AppError {
  override readonly statusCode = 401
  constructor (message: string) {
    super('account_disabled', message)
  }
}
