/**
 * A column's revocation timeline: after an event (t0) the column calls GET /api/me every 250 ms with
 * the credential it held, and draws each answer as a mark on an SVG track built by DOM APIs (no inline
 * style: positions are SVG attributes). Green circle: accepted; amber ring: accepted with the old role
 * (after a role change); red square: refused. It stops at the first refusal, at the new role, after
 * the access token's exp (plus the clock tolerance and a second), or after 40 s.
 */
import type { Messages } from './i18n.js'
import { say } from './say.js'

type Msg = (m: Messages) => string

export interface WatchEvent {
  label: Msg
  kind: 'logout' | 'revoke' | 'role' | 'disable' | 'password'
  /** performance.now() when the event took effect (the admin's answer arrived, or the logout was sent). */
  at: number
  /** For a role change: the role the user has now. */
  newRole?: string
}

interface Options {
  /** Seconds the track spans (the same for every column, so they compare at a glance). */
  scaleSec: number
  /** How long after exp a token may still be accepted (clock tolerance) plus a margin. */
  graceMs: number
  poll: () => Promise<{ status: number, body: unknown }>
  /** The watched access token's exp (epoch ms), or null (sessions). */
  expMs: () => number | null
  done: () => void
}

const SVG = 'http://www.w3.org/2000/svg'
const INTERVAL_MS = 250
const CAP_MS = 40_000

const seconds = (ms: number): string => (ms / 1000).toFixed(1)

function code (r: { status: number, body: unknown }): string {
  const body = r.body as { error?: unknown } | null
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : r.status === 0 ? 'network error' : String(r.status)
}

function svg (name: string, attrs: Record<string, string>): SVGElement {
  const node = document.createElementNS(SVG, name)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  return node
}

export class Timeline {
  private run = 0
  private readonly track: SVGSVGElement
  private readonly event: HTMLElement
  private readonly window: HTMLElement

  constructor (readonly root: HTMLElement, private readonly opts: Options) {
    this.track = root.querySelector('[data-role="tl-track"]') as SVGSVGElement
    this.event = root.querySelector('[data-role="tl-event"]') as HTMLElement
    this.window = root.querySelector('[data-role="tl-window"]') as HTMLElement
    say(root.querySelector('[data-role="tl-end"]') as HTMLElement, m => m.axisEnd(opts.scaleSec))
    this.reset()
  }

  /** x of a time after t0, in percent of the track (2 %..98 %, so the marks at both ends show whole). */
  private x (ms: number): string {
    const f = Math.min(1, Math.max(0, ms / (this.opts.scaleSec * 1000)))
    return `${(2 + 96 * f).toFixed(2)}%`
  }

  private clearTrack (): void {
    this.track.replaceChildren(svg('line', { x1: '2%', x2: '98%', y1: '11', y2: '11', class: 'tl-axis-line' }))
    this.root.dataset.accepted = '0'
    this.root.dataset.old = '0'
    this.root.dataset.refused = '0'
    delete this.root.dataset.result
  }

  /** No event yet. */
  reset (): void {
    this.run++
    this.clearTrack()
    this.root.dataset.state = 'idle'
    say(this.event, () => '')
    say(this.window, m => m.timelineIdle)
  }

  /** An event this column does not watch (logged in as someone else, or not at all). */
  idle (event: WatchEvent, why: Msg): void {
    this.reset()
    say(this.event, event.label)
    say(this.window, why)
  }

  start (event: WatchEvent): void {
    const id = ++this.run
    this.clearTrack()
    this.root.dataset.state = 'watching'
    say(this.event, event.label)
    // Said once (the window is a live region): the marks show the progress.
    say(this.window, m => m.watching)
    this.track.append(svg('line', { x1: '2%', x2: '2%', y1: '1', y2: '21', class: 'tl-t0' }))
    const exp = this.opts.expMs()
    // exp on the page's clock: the wall-clock distance from now, shifted to t0.
    const expAfterT0 = exp === null ? null : exp - Date.now() + (performance.now() - event.at)
    if (expAfterT0 !== null && expAfterT0 >= 0 && expAfterT0 <= this.opts.scaleSec * 1000) {
      const x = this.x(expAfterT0)
      this.track.append(svg('line', { x1: x, x2: x, y1: '1', y2: '21', class: 'tl-exp' }))
    }
    this.loop(id, event, exp).catch((err: unknown) => { console.error(err) })
  }

  private mark (ms: number, kind: 'ok' | 'old' | 'bad'): void {
    const x = this.x(ms)
    const node = kind === 'bad'
      ? svg('rect', { x, y: '6', width: '10', height: '10', transform: 'translate(-5 0)', class: 'dot-bad' })
      : svg('circle', { cx: x, cy: '11', r: kind === 'ok' ? '5' : '4', class: `dot-${kind}` })
    this.track.append(node)
    const counter = kind === 'ok' ? 'accepted' : kind === 'old' ? 'old' : 'refused'
    this.root.dataset[counter] = String(Number(this.root.dataset[counter] ?? '0') + 1)
  }

  private finish (result: string, msg: Msg): void {
    this.root.dataset.state = 'done'
    this.root.dataset.result = result
    say(this.window, msg)
    this.opts.done()
  }

  private async loop (id: number, event: WatchEvent, exp: number | null): Promise<void> {
    let lastAccepted = 0
    for (let n = 1; ; n++) {
      const sentAt = performance.now() - event.at
      const r = await this.opts.poll().catch(() => ({ status: 0, body: null }))
      if (id !== this.run) return
      const accepted = r.status > 0 && r.status < 400
      const role = (r.body as { role?: unknown } | null)?.role
      const oldRole = accepted && event.kind === 'role' && role !== event.newRole
      this.mark(sentAt, accepted ? (oldRole ? 'old' : 'ok') : 'bad')
      if (!accepted) {
        const why = code(r)
        const held = seconds(lastAccepted)
        if (why === 'token_expired') this.finish('until-exp', event.kind === 'role' ? m => m.windowOldRoleUntilExp(held) : m => m.windowUntilExp(held))
        else this.finish('refused', m => m.windowRefused(Math.round(sentAt), why))
        return
      }
      lastAccepted = sentAt
      if (event.kind === 'role' && !oldRole) return this.finish('new-role', m => m.windowNewRole(Math.round(sentAt)))
      if (exp !== null && Date.now() > exp + this.opts.graceMs) {
        const held = seconds(sentAt)
        return this.finish('until-exp', m => m.windowUntilExp(held))
      }
      if (sentAt >= CAP_MS) {
        const held = seconds(sentAt)
        return this.finish('cap', m => m.windowCap(held))
      }
      await new Promise(resolve => setTimeout(resolve, Math.max(0, event.at + n * INTERVAL_MS - performance.now())))
      if (id !== this.run) return
    }
  }
}
