/**
 * Every text the page writes, in English and Korean. `ko` is typed as `en`, so a message missing from
 * either table fails the typecheck. Plain strings may be used by the markup (`data-i18n="key"`);
 * functions are for the script's messages. Server error codes and messages are shown as the server
 * sends them, untranslated.
 */

export type Lang = 'en' | 'ko'
export const LANGS: readonly Lang[] = ['en', 'ko']

const en = {
  pageTitle: 'Session vs JWT, side by side',
  heading: 'Session vs JWT',
  langLabel: 'Language',
  resetButton: 'Reset demo',
  xssLabLink: 'XSS lab (where the token is kept)',
  loadingInfo: 'Loading server settings…',
  notDemo: 'This server does not run in DEMO_MODE.',
  serverInfo: (store: string, accessTtl: number, idleTtl: number, maxLogins: number) =>
    `store: ${store} · access token TTL ${accessTtl} s · session idle TTL ${idleTtl} s${maxLogins > 0 ? ` · at most ${maxLogins} logins per user` : ''} · every revocation mode side by side`,

  adminTitle: 'Admin',
  adminTarget: 'Acting on',
  adminRole: 'Role',
  adminSetRole: 'Change role',
  adminDisable: 'Disable',
  adminEnable: 'Enable',
  adminNewPassword: 'New password',
  adminChangePassword: 'Change password',
  adminRevoke: 'Revoke all logins',
  adminHint: 'The admin acts through its own JWT (kept by this page) on the user logged in last. After a change, every column logged in as that user keeps calling GET /api/me and draws the answers on its timeline.',
  adminDone: (what: string, version: number, affected: string) => `${what}: done (version ${version}; logins affected: ${affected}).`,
  adminFailed: (what: string, status: number, code: string) => `${what}: ${status} ${code}`,
  adminNoLogin: 'The admin cannot log in as admin / admin-password (JWT not mounted, ADMIN_PASSWORD set, or its password changed: use Reset demo).',

  resetDone: (users: string) => `Reset done: ${users} are back as published (role, enabled, password), every login of theirs has ended and the attacker's loot is gone. Log in again.`,
  resetFailed: (status: number, code: string) => `Reset failed: ${status} ${code}`,

  userLabel: 'User',
  passwordLabel: 'Password',
  loginButton: 'Log in',
  refreshButton: 'Refresh',
  logoutButton: 'Log out',
  stealButton: 'Steal',
  requestsLabel: 'Requests',
  notLoggedIn: 'Not logged in.',
  loggedInAs: (user: string) => `Logged in as ${user}.`,
  loginRefused: (code: string) => `Login refused: ${code}.`,
  accepted: (request: string, status: number, user: string | null) => `${request}: ${status} accepted${user === null ? '' : ` (${user})`}.`,
  refused: (request: string, status: number, code: string) => `${request}: ${status} ${code}.`,
  loggedOut: 'Logged out. The timeline keeps trying the old credential.',
  refreshed: 'Refreshed: a new access token, and the refresh token rotated.',
  refreshRefused: (code: string) => `Refresh refused: ${code}.`,

  kindSession: 'cookie + server record',
  kindJwt: (mode: string) => `JWT, revocation: ${mode}`,
  kindCached: ', cached',
  kindPostgres: ', in PostgreSQL',
  promiseSession: 'Every request reads the session record: ending it works at once.',
  promiseNone: 'Signature and exp only, nothing looked up: a token works until its exp.',
  promiseDenylist: 'Every request checks a denylist: logout, revoke, disable, password end tokens at once; a role change waits for exp.',
  promiseVersion: 'Every request compares the user\'s version: admin changes refuse old tokens at once; a logout waits for exp.',
  promiseOther: 'A mount this page does not describe.',
  promisePostgres: 'Its records are rows in PostgreSQL: the same promise, each lookup a SQL query (compare the ms column).',
  promiseCached: 'The lookups are answered from this server\'s memory (0 store ops on a hit); Redis tells the cache of every change, so ending a login is just as final.',
  explainTitle: 'Why',
  explainSession: 'The session cookie is HttpOnly: the browser sends it with every request to this site, but document.cookie leaves it out, so script on the page (an XSS payload included) cannot read it. The server keeps the login; deleting the record ends it for every copy of the cookie.',
  explainJwt: 'The access token is a plain variable of this page: any script here can read it (that is what Steal copies). Anyone can decode header and payload; only the signature needs the key. The refresh token is an HttpOnly cookie whose Path is this mount: script cannot read it, and it travels only to this mount\'s routes (its API calls included, where nothing reads it), never to another mount\'s.',

  holdsTitle: 'What the browser holds',
  setCookieLabel: 'Set-Cookie as sent (value redacted)',
  docCookieLabel: 'document.cookie, as script sees it',
  accessTokenLabel: 'Access token in page memory',
  refreshCookieLabel: 'Refresh cookie, Set-Cookie as sent',
  nothingYet: 'nothing yet',
  noToken: 'no token',
  expIn: (s: number) => `exp in ${s} s`,
  expiredAgo: (s: number) => `expired ${s} s ago`,
  keepsTitle: 'What the server keeps',
  nothingStored: 'nothing stored for this credential',
  expiresIn: (s: number) => `expires in ${s} s`,
  nothingNote: (note: string) => `nothing${note === '' ? '' : ` (${note})`}`,
  inspectUnavailable: (status: number, code: string) => `inspection unavailable: ${status} ${code}`,

  timelineTitle: 'Revocation timeline',
  timelineIdle: 'No event yet: log in, then use the admin strip or Log out.',
  timelineLegendOk: 'accepted',
  timelineLegendOld: 'accepted, old role',
  timelineLegendBad: 'refused',
  eventLogout: 'log out',
  eventRevoke: (user: string) => `revoke all logins of ${user}`,
  eventRole: (user: string, role: string) => `${user} becomes ${role}`,
  eventDisable: (user: string) => `disable ${user}`,
  eventEnable: (user: string) => `enable ${user}`,
  eventPassword: (user: string) => `change ${user}'s password`,
  notWatching: (user: string) => `Not logged in as ${user} here: nothing to watch.`,
  watching: 'watching…',
  windowRefused: (ms: number, code: string) => `refused after ${ms} ms (${code})`,
  windowUntilExp: (s: string) => `accepted for ${s} s, until exp`,
  windowNewRole: (ms: number) => `new role after ${ms} ms`,
  windowOldRoleUntilExp: (s: string) => `old role for ${s} s, until exp`,
  windowCap: (s: string) => `still accepted after ${s} s (stopped watching)`,
  timelineAria: (event: string, window: string) => `Timeline after ${event}: ${window}`,
  axisEnd: (s: number) => `${s} s`,

  attackerTitle: 'Attacker',
  attackerSub: 'another machine',
  attackerIdle: 'Nothing stolen yet. Use a Steal button in a column.',
  replayMe: 'Replay GET /api/me',
  replayAdmin: 'Replay GET /api/admin',
  replayNotes: 'Replay POST /api/notes',
  replayRefresh: 'Refresh with it',
  attackerExplain: 'The attacker replays from elsewhere: the server sends the copied credential through POST /demo/attack, from address 203.0.113.66. Try: steal, log the victim out, replay. Or steal a JWT login, refresh here first, then press Refresh in that column: reuse detected.',
  lastResponse: 'Last response',
  stoleFrom: (mount: string, user: string | null, time: string) => `Stole the ${mount} column's credential${user === null ? '' : ` (${user})`} at ${time}.`,
  nothingToSteal: (mount: string, code: string) => `Nothing to steal in the ${mount} column: ${code}.`,
  replayAccepted: (request: string, status: number) => `${request}: ${status} accepted: the server cannot tell the attacker from the user.`,
  replayRefused: (request: string, status: number, code: string) => `${request}: ${status} ${code}.`,

  logTime: 'time',
  logRequest: 'request',
  logStatus: 'status',
  logOps: 'store ops',

  // The sequence diagrams section (diagrams.ts): a button per diagram, and each image's alt text, which
  // starts with the diagram's own title (docs/diagrams/X.txt).
  diagramsTitle: 'Sequence diagrams',
  diagramsIntro: 'How each flow runs between the browser, the server and the store, message by message. The same diagrams are in docs/diagrams.',
  diagramsChoose: 'Diagram',
  diagrams: {
    login: { name: 'Login', alt: 'Login: a session id in a cookie vs. a signed access token. Session login stores a record and sets a signed id cookie; JWT login stores a family and a hashed refresh token and signs an access token; then the first protected request of each, with its store lookups.' },
    'session-logout': { name: 'Session logout', alt: 'Session logout: deleting the record ends every copy of the cookie. A thief replays a copied cookie: 200 before the logout, 401 session_revoked at once after it.' },
    'refresh-rotation': { name: 'Refresh rotation', alt: 'Refresh rotation: every refresh spends the token and hands out the next. An expired access token gets 401 token_expired; POST /jwt/refresh spends R1, stores R2, updates the family and signs a new access token.' },
    'reuse-detection': { name: 'Reuse detection', alt: 'Reuse detection: a spent refresh token coming back ends the whole login. The attacker refreshes first with a stolen token; alice\'s refresh with the same token is reuse, the family is deleted, and the attacker\'s access token works until exp except in denylist mode.' },
    'revocation-none': { name: 'Revocation: none', alt: 'JWT_REVOCATION=none: logout ends the refresh token, not the access token. Nothing is looked up per request, so a copied access token keeps working until exp.' },
    'revocation-denylist': { name: 'Revocation: denylist', alt: 'JWT_REVOCATION=denylist: one lookup per request, every ending is written down. One MGET per request; logout writes deny and deny-sid keys, an admin ending writes revoked-before, and the copied token is refused at once.' },
    'revocation-version': { name: 'Revocation: version', alt: 'JWT_REVOCATION=version: the token\'s ver must match the user\'s version. One GET of the user record per request; an admin change, a role change included, bumps the version and refuses old tokens at once; a plain logout does not.' }
  }
}

export type Messages = typeof en

const ko: Messages = {
  pageTitle: '세션과 JWT 나란히 비교',
  heading: '세션 vs JWT',
  langLabel: '언어',
  resetButton: '데모 초기화',
  xssLabLink: 'XSS 실험실 (토큰을 어디에 두는가)',
  loadingInfo: '서버 설정을 불러오는 중…',
  notDemo: '이 서버는 DEMO_MODE로 실행되고 있지 않습니다.',
  serverInfo: (store, accessTtl, idleTtl, maxLogins) =>
    `저장소: ${store} · 액세스 토큰 수명 ${accessTtl}초 · 세션 유휴 만료 ${idleTtl}초${maxLogins > 0 ? ` · 사용자당 로그인 최대 ${maxLogins}개` : ''} · 모든 폐기 방식을 나란히 표시`,

  adminTitle: '관리자',
  adminTarget: '대상 사용자',
  adminRole: '역할',
  adminSetRole: '역할 변경',
  adminDisable: '비활성화',
  adminEnable: '활성화',
  adminNewPassword: '새 비밀번호',
  adminChangePassword: '비밀번호 변경',
  adminRevoke: '모든 로그인 강제 종료',
  adminHint: '관리자는 이 페이지가 보관하는 자체 JWT로, 마지막으로 로그인한 사용자에게 작업합니다. 변경 후에는 그 사용자로 로그인한 각 열이 GET /api/me를 계속 호출하고 응답을 타임라인에 그립니다.',
  adminDone: (what, version, affected) => `${what}: 완료 (버전 ${version}, 영향받은 로그인: ${affected}).`,
  adminFailed: (what, status, code) => `${what}: ${status} ${code}`,
  adminNoLogin: '관리자가 admin / admin-password로 로그인할 수 없습니다 (JWT가 마운트되지 않았거나, ADMIN_PASSWORD가 설정되었거나, 비밀번호가 바뀌었습니다. 데모 초기화를 누르세요).',

  resetDone: (users) => `초기화 완료: ${users} 계정이 공개된 상태(역할, 활성화, 비밀번호)로 돌아왔고, 이 사용자들의 모든 로그인이 끝났으며 공격자가 훔친 자격 증명도 지워졌습니다. 다시 로그인하세요.`,
  resetFailed: (status, code) => `초기화 실패: ${status} ${code}`,

  userLabel: '사용자',
  passwordLabel: '비밀번호',
  loginButton: '로그인',
  refreshButton: '토큰 갱신',
  logoutButton: '로그아웃',
  stealButton: '탈취',
  requestsLabel: '요청 기록',
  notLoggedIn: '로그인하지 않았습니다.',
  loggedInAs: (user) => `${user}(으)로 로그인했습니다.`,
  loginRefused: (code) => `로그인 거부: ${code}.`,
  accepted: (request, status, user) => `${request}: ${status} 허용${user === null ? '' : ` (${user})`}.`,
  refused: (request, status, code) => `${request}: ${status} ${code}.`,
  loggedOut: '로그아웃했습니다. 타임라인은 이전 자격 증명으로 계속 시도합니다.',
  refreshed: '갱신 완료: 새 액세스 토큰을 받았고 리프레시 토큰이 교체되었습니다.',
  refreshRefused: (code) => `갱신 거부: ${code}.`,

  kindSession: '쿠키 + 서버 기록',
  kindJwt: (mode) => `JWT, 폐기 방식: ${mode}`,
  kindCached: ', 캐시 사용',
  kindPostgres: ', PostgreSQL에 저장',
  promiseSession: '요청마다 세션 기록을 읽으므로, 기록을 지우면 즉시 끝납니다.',
  promiseNone: '서명과 exp만 확인하고 아무것도 조회하지 않으므로, 토큰은 exp까지 유효합니다.',
  promiseDenylist: '요청마다 차단 목록을 확인합니다. 로그아웃, 강제 종료, 비활성화, 비밀번호 변경은 즉시 적용되고, 역할 변경은 exp까지 기다립니다.',
  promiseVersion: '요청마다 사용자 버전을 비교합니다. 관리자 변경은 이전 토큰을 즉시 거부하고, 로그아웃은 exp까지 기다립니다.',
  promiseOther: '이 페이지가 설명하지 않는 마운트입니다.',
  promisePostgres: '기록은 PostgreSQL의 행입니다. 약속은 같고, 조회마다 SQL 쿼리가 하나 나갑니다 (ms 열을 비교해 보세요).',
  promiseCached: '조회는 이 서버의 메모리에서 답합니다 (캐시 적중 시 저장소 조회 0회). Redis가 모든 변경을 캐시에 알려 주므로 로그인 종료는 똑같이 즉시 적용됩니다.',
  explainTitle: '설명',
  explainSession: '세션 쿠키는 HttpOnly입니다. 브라우저는 이 사이트로 가는 모든 요청에 쿠키를 보내지만 document.cookie에는 나타나지 않으므로, 페이지의 스크립트(XSS 공격 코드 포함)는 쿠키를 읽을 수 없습니다. 로그인 상태는 서버가 보관하며, 기록을 지우면 어떤 쿠키 사본으로도 더 이상 통하지 않습니다.',
  explainJwt: '액세스 토큰은 이 페이지의 평범한 변수이므로 페이지의 어떤 스크립트든 읽을 수 있습니다(탈취 버튼이 복사하는 것이 이것입니다). 헤더와 페이로드는 누구나 디코딩할 수 있고, 서명에만 키가 필요합니다. 리프레시 토큰은 Path가 이 마운트로 지정된 HttpOnly 쿠키라서 스크립트가 읽을 수 없고, 이 마운트의 경로로만 전송됩니다(이 마운트의 API 호출에도 함께 가지만 서버는 거기서 읽지 않습니다). 다른 마운트로는 가지 않습니다.',

  holdsTitle: '브라우저가 가진 것',
  setCookieLabel: '서버가 보낸 Set-Cookie (값은 가림)',
  docCookieLabel: '스크립트가 보는 document.cookie',
  accessTokenLabel: '페이지 메모리의 액세스 토큰',
  refreshCookieLabel: '리프레시 쿠키, 서버가 보낸 Set-Cookie',
  nothingYet: '아직 없음',
  noToken: '토큰 없음',
  expIn: (s) => `만료까지 ${s}초`,
  expiredAgo: (s) => `${s}초 전에 만료됨`,
  keepsTitle: '서버가 저장한 것',
  nothingStored: '이 자격 증명에 대해 저장된 것이 없습니다',
  expiresIn: (s) => `${s}초 후 만료`,
  nothingNote: (note) => `없음${note === '' ? '' : ` (${note})`}`,
  inspectUnavailable: (status, code) => `조회할 수 없음: ${status} ${code}`,

  timelineTitle: '폐기 타임라인',
  timelineIdle: '아직 이벤트가 없습니다. 로그인한 뒤 관리자 기능이나 로그아웃을 사용해 보세요.',
  timelineLegendOk: '허용',
  timelineLegendOld: '허용, 이전 역할',
  timelineLegendBad: '거부',
  eventLogout: '로그아웃',
  eventRevoke: (user) => `${user}의 모든 로그인 강제 종료`,
  eventRole: (user, role) => `${user}의 역할을 ${role}(으)로 변경`,
  eventDisable: (user) => `${user} 비활성화`,
  eventEnable: (user) => `${user} 활성화`,
  eventPassword: (user) => `${user}의 비밀번호 변경`,
  notWatching: (user) => `이 열은 ${user}(으)로 로그인하지 않았으므로 지켜볼 것이 없습니다.`,
  watching: '관찰 중…',
  windowRefused: (ms, code) => `${ms}ms 후 거부 (${code})`,
  windowUntilExp: (s) => `exp까지 ${s}초 동안 허용`,
  windowNewRole: (ms) => `${ms}ms 후 새 역할 적용`,
  windowOldRoleUntilExp: (s) => `exp까지 ${s}초 동안 이전 역할`,
  windowCap: (s) => `${s}초가 지나도 여전히 허용 (관찰 중단)`,
  timelineAria: (event, window) => `${event} 이후 타임라인: ${window}`,
  axisEnd: (s) => `${s}초`,

  attackerTitle: '공격자',
  attackerSub: '다른 컴퓨터',
  attackerIdle: '아직 훔친 것이 없습니다. 각 열의 탈취 버튼을 누르세요.',
  replayMe: 'GET /api/me 재전송',
  replayAdmin: 'GET /api/admin 재전송',
  replayNotes: 'POST /api/notes 재전송',
  replayRefresh: '훔친 토큰으로 갱신',
  attackerExplain: '공격자는 다른 곳에서 재전송합니다. 서버가 복사한 자격 증명을 POST /demo/attack을 통해 주소 203.0.113.66에서 보냅니다. 해 볼 것: 탈취한 뒤 피해자를 로그아웃시키고 재전송하기. 또는 JWT 로그인을 탈취해 여기서 먼저 갱신한 다음, 그 열에서 토큰 갱신을 누르면 재사용이 탐지됩니다.',
  lastResponse: '마지막 응답',
  stoleFrom: (mount, user, time) => `${time}에 ${mount} 열의 자격 증명을 탈취했습니다${user === null ? '' : ` (${user})`}.`,
  nothingToSteal: (mount, code) => `${mount} 열에는 탈취할 것이 없습니다: ${code}.`,
  replayAccepted: (request, status) => `${request}: ${status} 허용. 서버는 공격자와 사용자를 구별하지 못합니다.`,
  replayRefused: (request, status, code) => `${request}: ${status} ${code}.`,

  logTime: '시각',
  logRequest: '요청',
  logStatus: '상태',
  logOps: '저장소 접근',

  diagramsTitle: '시퀀스 다이어그램',
  diagramsIntro: '브라우저, 서버, 저장소 사이에서 각 흐름이 메시지 하나하나 어떻게 오가는지 보여 줍니다. 같은 다이어그램이 docs/diagrams에도 있습니다.',
  diagramsChoose: '다이어그램',
  diagrams: {
    login: { name: '로그인', alt: '로그인: 쿠키 속 세션 id 대 서명된 액세스 토큰. 세션 로그인은 기록을 저장하고 서명된 id 쿠키를 설정합니다. JWT 로그인은 패밀리와 해시한 리프레시 토큰을 저장하고 액세스 토큰에 서명합니다. 이어서 각각의 첫 보호된 요청과 그 저장소 조회를 보여 줍니다.' },
    'session-logout': { name: '세션 로그아웃', alt: '세션 로그아웃: 기록을 지우면 쿠키의 모든 사본이 끝난다. 도둑이 복사한 쿠키를 재전송하면 로그아웃 전에는 200, 로그아웃 뒤에는 즉시 401 session_revoked입니다.' },
    'refresh-rotation': { name: '리프레시 토큰 회전', alt: '리프레시 토큰 회전: 갱신할 때마다 토큰을 써 버리고 다음 토큰을 내준다. 만료된 액세스 토큰은 401 token_expired를 받고, POST /jwt/refresh가 R1을 써 버리고 R2를 저장하고 패밀리를 갱신한 뒤 새 액세스 토큰에 서명합니다.' },
    'reuse-detection': { name: '재사용 탐지', alt: '재사용 탐지: 이미 쓴 리프레시 토큰이 돌아오면 로그인 전체가 끝난다. 공격자가 훔친 토큰으로 먼저 갱신하고, alice가 같은 토큰으로 갱신하면 재사용으로 탐지되어 패밀리가 지워집니다. 공격자의 액세스 토큰은 denylist 방식이 아니면 exp까지 동작합니다.' },
    'revocation-none': { name: '폐기 방식: none', alt: 'JWT_REVOCATION=none: 로그아웃은 리프레시 토큰을 끝낼 뿐, 액세스 토큰은 아니다. 요청마다 아무것도 조회하지 않으므로 복사한 액세스 토큰은 exp까지 계속 동작합니다.' },
    'revocation-denylist': { name: '폐기 방식: denylist', alt: 'JWT_REVOCATION=denylist: 요청마다 조회 한 번, 모든 종료를 적어 둔다. 요청마다 MGET 한 번, 로그아웃은 deny와 deny-sid 키를, 관리자의 종료는 revoked-before를 기록하며, 복사한 토큰은 즉시 거부됩니다.' },
    'revocation-version': { name: '폐기 방식: version', alt: 'JWT_REVOCATION=version: 토큰의 ver가 사용자의 버전과 같아야 한다. 요청마다 사용자 기록을 한 번 GET하고, 관리자의 변경은 역할 변경까지 포함해 버전을 올려 이전 토큰을 즉시 거부합니다. 평범한 로그아웃은 버전을 올리지 않습니다.' }
  }
}

export const MESSAGES: Readonly<Record<Lang, Messages>> = { en, ko }

export type StringKey = { [K in keyof Messages]: Messages[K] extends string ? K : never }[keyof Messages]

/** `?lang=` first, then the choice kept in localStorage, then the browser's language. */
export function initialLang (): Lang {
  const param = new URLSearchParams(location.search).get('lang')
  if (param === 'en' || param === 'ko') return param
  try {
    const kept = localStorage.getItem('svj-lang')
    if (kept === 'en' || kept === 'ko') return kept
  } catch { /* storage disabled: fall through */ }
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en'
}

export function keepLang (lang: Lang): void {
  try { localStorage.setItem('svj-lang', lang) } catch { /* storage disabled: the choice lasts for this page */ }
}
