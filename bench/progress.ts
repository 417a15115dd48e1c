/**
 * Output: on a TTY, a progress line per scenario (scenario, run, seconds left) redrawn in place;
 * otherwise quiet and plain (one line per step, no control characters).
 */
export class Output {
  private timer: NodeJS.Timeout | null = null
  private line = ''

  constructor (private readonly stream: NodeJS.WriteStream = process.stdout, readonly tty = stream.isTTY === true) {}

  /** A permanent line (clears the progress line first on a TTY). */
  log (text: string): void {
    this.clearLine()
    this.stream.write(`${text}\n`)
    if (this.line !== '') this.draw()
  }

  /** Starts a countdown progress line; no-op when not a TTY. */
  progress (label: string, seconds: number): void {
    if (!this.tty) return
    this.done()
    const until = Date.now() + seconds * 1000
    const tick = (): void => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000))
      this.line = `  ${label}  ${left}s left`
      this.draw()
    }
    tick()
    this.timer = setInterval(tick, 250)
  }

  /** A progress line without a countdown (logins, seeding). */
  status (label: string): void {
    if (!this.tty) return
    this.done()
    this.line = `  ${label}`
    this.draw()
  }

  done (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.clearLine()
    this.line = ''
  }

  private draw (): void {
    if (!this.tty) return
    const width = this.stream.columns ?? 100
    this.stream.write(`\r\x1b[2K${this.line.slice(0, width - 1)}`)
  }

  private clearLine (): void {
    if (this.tty && this.line !== '') this.stream.write('\r\x1b[2K')
  }
}
