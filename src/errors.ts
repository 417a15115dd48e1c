/**
 * An error with a stable machine-readable code, answered as `{"error": code, "message": message}`.
 * Everything a client can cause is one of these; anything else is a bug and answers 500.
 */
export class AppError extends Error {
  override name = 'AppError'
  constructor (
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {}
  ) {
    super(message)
  }
}

export const unauthorized = (code: string, message: string, headers?: Record<string, string>): AppError =>
  new AppError(401, code, message, headers)
