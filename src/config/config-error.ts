/** A startup configuration problem: the server prints `message` as one line and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}
