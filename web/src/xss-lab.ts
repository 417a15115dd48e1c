/**
 * The XSS lab's app (web/static/xss-lab.html, demo mode only): logs in with the mount in `?mount=` and
 * makes one API call, keeping what a typical client keeps: for JWTs the access token in a page variable
 * and a copy in localStorage, the refresh token in its HttpOnly cookie; for sessions only the HttpOnly
 * cookie. Then it tells the page (event `lab:app-ready`) so the "injected" script can look around.
 */
export {}

const params = new URLSearchParams(location.search)
const requested = params.get('mount') ?? '/session'
const mount = /^\/[a-z][a-z0-9-]{0,31}$/.test(requested) ? requested : '/session'
const kind: 'session' | 'jwt' = mount.startsWith('/jwt') ? 'jwt' : 'session'

/** The app's access token: a page variable (JWT only). */
let accessToken: string | null = null

function status (text: string): void {
  const el = document.getElementById('app-status')
  if (el !== null) el.textContent = text
}

async function login (username: string, password: string): Promise<void> {
  const res = await fetch(`${mount}/login`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password })
  })
  const body = await res.json() as { access_token?: string, error?: string }
  if (!res.ok) {
    status(`login failed / 로그인 실패: ${res.status} ${body.error ?? ''}`)
    return
  }
  if (kind === 'jwt' && typeof body.access_token === 'string') {
    accessToken = body.access_token
    // The pattern the lab shows the cost of: a copy any script on this origin can read.
    localStorage.setItem('access_token', accessToken)
  }
  const me = await fetch(`${mount}/api/me`, {
    credentials: 'same-origin',
    headers: accessToken === null ? {} : { authorization: `Bearer ${accessToken}` }
  })
  status(`logged in on ${mount} (${kind}) / ${mount}에 로그인함; GET ${mount}/api/me → ${me.status}`)
  const el = document.getElementById('app-status')
  if (el !== null) el.dataset.me = String(me.status)
  window.dispatchEvent(new CustomEvent('lab:app-ready', { detail: { mount, kind } }))
}

document.getElementById('login')?.addEventListener('submit', event => {
  event.preventDefault()
  const form = new FormData(event.target as HTMLFormElement)
  login(String(form.get('username') ?? ''), String(form.get('password') ?? '')).catch((err: unknown) => { status(`error / 오류: ${String(err)}`) })
})
