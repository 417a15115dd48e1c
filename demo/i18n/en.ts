/**
 * Every word the demo runner prints, in English. demo/i18n/ko.ts has the same keys in Korean; its type is
 * `Messages` (this object's shape), so a key missing there fails the typecheck, and test/demo-i18n.test.ts
 * checks every string at run time. Outcome codes, HTTP lines and JSON field names stay untranslated.
 */
type Strategies = Record<'session' | 'jwt-none' | 'jwt-denylist' | 'jwt-version', string>

/** Where a story's claim comes from: a seed note by its title, and the passage it tests. */
interface Seed { source: string, quote: string }

export const en = {
  outcome: {
    works: 'works',
    rejected: 'rejected at once',
    'until-exp': 'works until exp',
    'at-once': 'new role at once',
    'until-refresh': 'stale until refresh',
    'old-token-rejected': 'rejected, refresh',
    undetected: 'not detected',
    'idle-expiry': 'slides, idle ends it',
    'silent-refresh': 'refreshed silently',
    'fails-closed': '503 while down',
    'keeps-working': '200 while down',
    skipped: 'skipped',
    // Stories 12-17 (demo/stories/measured.ts).
    'shared-store': 'needs a shared store',
    'any-instance': 'any instance',
    'same-size': 'same size',
    grows: 'grows with claims',
    'per-request': 'store per request',
    'per-refresh': 'store per refresh',
    renamed: 'new name at once',
    'by-setting': 'by setting',
    'survives-restart': 'survives restart',
    // The security stories (demo/stories/).
    'cookie-ridden': 'not read, but ridden',
    'token-read': 'token read by script',
    'forged-unsafe-only': 'forged only if unsafe',
    'not-exposed': 'not exposed',
    flagged: 'flagged, still works',
    'not-flagged': 'not flagged'
  },
  observedUntilExp: (s: number) => `works ${s} s more`,
  observedUntilRefresh: (s: number) => `stale ${s} s, refresh`,

  /** Each --store in words, as a sentence names it ("one shared PostgreSQL store"). */
  stores: {
    memory: 'memory store',
    redis: 'Redis store',
    'redis-cached': 'Redis store with AUTH_CACHE=on',
    postgres: 'PostgreSQL store'
  },

  actors: {
    aliceBrowser: 'alice\'s browser',
    oldCopy: 'the old copy',
    aliceLoggingInAgain: 'alice, logging in again',
    aliceLaptop: 'alice\'s laptop',
    alicePhone: 'alice\'s phone',
    aliceTablet: 'alice\'s tablet',
    oldPassword: 'someone with the old password',
    newPassword: 'alice with the new password',
    alice: 'alice',
    thief: 'thief',
    attacker: 'attacker',
    viaA: 'alice (via A)',
    viaB: 'alice (via B)',
    bob: 'bob',
    admin: 'admin'
  },

  story: {
    checkOk: 'ok',
    checkBad: 'NOT OK',
    storeOps: 'store ops',
    notWaited: (left: number) => `still accepted; it would stop at exp, ${left} s from now (not waited: the server's JWT_ACCESS_TTL is long)`,
    notWaitedDetail: (left: number) => `still accepted; exp in ${left} s`,
    expiredBeforeJudged: 'the access token had already expired when the event was judged (a slow or busy machine?), so this outcome shows nothing; run it again, or with --access-ttl 10s',
    polling: (left: string) => `still accepted. Asking again every 250 ms until it stops (exp is ${left} s away)…`,
    atOnce: (statusAndError: string) => `${statusAndError} at once`,
    afterEvent: (status: number) => `${status} after the event`,
    stillAccepted: (s: number) => `still accepted ${s} s after the event`,
    morePolls: (n: number) => `(after ${n} more accepted request${n === 1 ? '' : 's'})`,
    thenExpired: (s: number) => `accepted ${s} s more, then 401 token_expired`,
    thenRefused: (s: number, statusAndError: string) => `accepted ${s} s more, then ${statusAndError}`,
    cookie: (name: string, value: string, chars: number, attributes: string) => `cookie ${name}=${value} (${chars} chars) · ${attributes}`,
    expiresIn: (s: number) => `Expires in ${s} s`,
    accessToken: (bytes: number, header: string) => `access token (${bytes} bytes, readable by anyone who holds it) · header ${header}`,
    payload: (payload: string, left: number, signature: string) => `  payload ${payload} · exp in ${left} s · signature ${signature}`,
    holdsNothing: 'nothing (no cookie, no token)',
    inspectUnavailable: (statusAndError: string) => `keeps: (inspection unavailable: ${statusAndError}; is DEMO_MODE on?)`,
    keepsFor: (label: string, note: string) => `keeps for ${label}'s credential: ${note}`,
    keyExpiresIn: (s: number) => ` (expires in ${s} s)`,
    keyNothing: 'nothing',
    expiredWhilePaused: (label: string) => `note: ${label}'s access token expired during the pause; the outcome may differ from the promise`
  },

  run: {
    holdsTag: 'holds',
    serverTag: 'server',
    header: (count: number, strategies: string, store: string, where: string) => `session-vs-jwt demo: ${count} scenario(s) × ${strategies} · store ${store}${where}`,
    freshServer: ' · a fresh server per story',
    atServer: (url: string) => ` · server ${url}`,
    intro: 'Each story states what the strategy promises, then shows what crossed the wire, what the client holds and what the server keeps.',
    claim: 'The claim:',
    seed: (source: string) => `The notes (“${source}”):`,
    storeName: (store: string) => `(${store})`,
    database: (schema: string) => `PostgreSQL: the run's own schema ${schema}, dropped at the end`,
    expected: 'expected:',
    observed: 'observed:',
    expectedInstead: (label: string) => `expected ${label}`,
    failedChecks: (list: string) => `; failed checks: ${list}`,
    needsOwnServers: (what: string) => `needs ${what}: run without --url`,
    crashed: (message: string) => `the story crashed: ${message}`,
    matrixTitle: (store: string) => `Outcome matrix (store: ${store}; ✔ = as the strategy promises)`,
    matrixScenario: 'scenario',
    matrixNote1: 'Each cell: what the credential under test did after the event (2, 6: the old/stolen copy after logout;',
    matrixNote2: '7: the attacker\'s access token once reuse was detected; 9: the oldest device; 10: the call on instance B).',
    allOk: (n: number, s: number) => `All ${n} outcomes as expected (${s} s).`,
    someBad: (bad: number, n: number) => `${bad} of ${n} outcomes differ from what the strategy promises (see ✘ above).`,
    stepPrompt: '[Enter: next step]',
    stepPromptStory: '[Enter: start this story]',
    stepInputEnded: 'stdin ended: running on without pauses',
    stepMode: (ttl: string) => `Stepping: the runner waits for Enter before each request; pauses stop once the event happened (timing is measured from it). Access tokens live ${ttl} in this mode so a pause does not expire them.`,
    paceMode: (pace: number, ttl: string) => `Pace: ${pace} s between steps until the event of each story. Access tokens live ${ttl} in this mode.`
  },

  scenarios: {
    login: {
      title: 'Log in and call a protected route',
      claim: 'A session is a random id in a cookie plus a record on the server; a JWT carries its claims itself and is checked by signature. Watch the store ops: what each request costs.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'With a session store every request has to look up the store, so the server\'s load grows with the requests; with an access token only the token is verified on each request, no DB or other storage is consulted.'
      } satisfies Seed,
      why: {
        session: 'the cookie\'s id finds the record: 1 store read per request',
        'jwt-none': 'signature and exp are checked locally: 0 store reads',
        'jwt-denylist': 'signature, then one denylist lookup: 1 store read',
        'jwt-version': 'signature, then the user\'s version: 1 store read'
      } satisfies Strategies,
      storeOpsCheck: (ops: string, none: boolean) => `x-auth-store-ops is ${ops} (${none ? '0: nothing looked up' : '1 round trip'})`,
      whyCached: 'the same read as without the cache (session record, denylist mark or user version), but AUTH_CACHE=on asks Redis only until this instance has it cached: then 0 store round trips',
      storeOpsCached: (first: string, warm: string) => `x-auth-store-ops is ${first} on the first call (0 when the login's own reads already filled this instance's cache, else 1), then ${warm} once warm: answered from AUTH_CACHE`,
      missing: 'missing',
      works: (ops: string) => `200, ${ops} store op(s)`
    },
    logout: {
      title: 'Log out, then replay the old credential',
      claim: 'Logging out of a session deletes its record, so the cookie is dead at once; a JWT cannot be "logged out" without server state and stays valid until exp.',
      seed: {
        source: 'JWT token issuing, use and management (a summary)',
        quote: 'On sign-out the client deletes the stored JWT; on the server side the refresh_token is invalidated, so it can no longer obtain a new access_token.'
      } satisfies Seed,
      why: {
        session: 'logout deleted the record the cookie points to',
        'jwt-none': 'nothing on the server knows the token was logged out; only its refresh token dies',
        'jwt-denylist': 'logout put the token\'s jti (and its login) on the denylist',
        'jwt-version': 'logout does not change the user\'s version, so the token\'s ver still matches'
      } satisfies Strategies,
      logsOut: 'alice logs out; we kept a copy of what her browser held before',
      oldRefreshRefused: (r: string) => `the old refresh token is refused at once (${r})`
    },
    role: {
      title: 'An admin changes the user\'s role (stale claims)',
      claim: 'A role inside a JWT is a copy taken at issue time: after a change the token keeps the old role until it is re-issued; a session reads the role from the server.',
      seed: {
        source: 'The stateless nature of JWT',
        quote: 'If the user\'s role has changed but the token still contains the old role, the server keeps trusting the wrong role.'
      } satisfies Seed,
      why: {
        session: 'the role lives in the session record, which the change rewrote',
        'jwt-none': 'the old token still says role "user" until it expires and a refresh issues a new one',
        'jwt-denylist': 'a role change is not a revocation: the token is not denied, its claim is just stale',
        'jwt-version': 'the change bumped the user\'s version, so the old token is refused and a refresh brings the new role'
      } satisfies Strategies,
      promotes: 'the admin promotes alice to admin',
      nextRequest: '200 on the very next request',
      notSeen: (r: string) => `${r}: the new role is not seen`,
      clientRefreshes: 'the client refreshes (as it does when its access token expires or is refused)',
      newRoleWorks: (status: number) => `after the refresh the new role works (${status})`,
      staleThenRefresh: (s: string) => `old role for ${s} s, new role after refresh`,
      refreshNewRole: (detail: string) => `${detail}; refresh → new role`,
      oldRoleStayed: (detail: string) => `the old role stayed: ${detail}`
    },
    disable: {
      title: 'The account is disabled',
      claim: 'Disabling an account should lock the user out; a stateless JWT cannot see it and stays trusted until exp.',
      seed: {
        source: 'The stateless nature of JWT',
        quote: 'Even when the account has been disabled, a valid JWT can be verified by the server and access granted.'
      } satisfies Seed,
      why: {
        session: 'disable deleted every session record of the user',
        'jwt-none': 'the refresh families end at once, but the access token is checked by signature only',
        'jwt-denylist': 'disable wrote "revoked before version N" for the user, checked on every request',
        'jwt-version': 'disable bumped the version (and the user record says disabled)'
      } satisfies Strategies,
      refreshRefused: (r: string) => `refresh is refused at once (${r})`,
      loginRefused: (r: string) => `a new login is refused (${r})`
    },
    password: {
      title: 'The password is changed: is every device logged out?',
      claim: 'After a password change (often: after a theft) every existing login should end; with sessions the per-user index finds them all; plain JWTs live on until exp.',
      seed: {
        source: 'The stateless nature of JWT',
        quote: 'Blacklist: the server keeps a list of invalidated tokens; when the user changes important information, the existing tokens are added to it.'
      } satisfies Seed,
      why: {
        session: 'the change ended every session of the user, on every device',
        'jwt-none': 'every refresh family ends, but issued access tokens live until exp',
        'jwt-denylist': 'the user is marked "revoked before version N"',
        'jwt-version': 'the version bump refuses every older token'
      } satisfies Strategies,
      phoneLikeLaptop: (status: number) => `the phone fares like the laptop (${status})`,
      oldPasswordFails: (status: number) => `the old password no longer logs in (${status})`,
      newPasswordWorks: (status: number) => `the new password does (${status})`
    },
    'stolen-access': {
      title: 'A credential stolen before logout is replayed by another client',
      claim: 'A stolen session cookie or access token works for the thief exactly as for the owner; what logout does to the thief\'s copy is the difference.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'A hacker can steal the session id in transit and pose as the client. A JWT, once issued, can be used until it expires, so a stolen token is hard to deal with.'
      } satisfies Seed,
      why: {
        session: 'the victim\'s logout deleted the record the thief\'s copy points to',
        'jwt-none': 'the thief\'s copy verifies until exp; logout only ended the refresh token',
        'jwt-denylist': 'logout denied the token\'s jti and its login',
        'jwt-version': 'logout does not bump the version; only a revoke/password change would'
      } satisfies Strategies,
      copiesCookie: 'the thief copies the session cookie (malware, a shared computer, a proxy log: HttpOnly only stops page script)',
      copiesToken: 'the thief copies the access token (readable by any script on the page, or from a log)',
      cannotTell: 'before logout the server cannot tell the thief from alice',
      logsOut: 'alice logs out'
    },
    'stolen-refresh': {
      title: 'A stolen refresh token: the attacker refreshes first, then the victim',
      claim: 'Rotating refresh tokens detect theft: when an already used token of a family comes back, the whole family is destroyed and everyone must log in again.',
      seed: {
        source: 'JWT (JSON Web Token): why refresh tokens',
        quote: 'When the server detects the anomaly it destroys the refresh token in question and invalidates every access token linked to it; the user has to log in again and get a new refresh and access token.'
      } satisfies Seed,
      why: {
        session: 'a session cookie does not rotate: both copies keep working and nothing notices',
        'jwt-none': 'reuse ends the family (no more refreshes), but the attacker\'s last access token lives until exp',
        'jwt-denylist': 'reuse ends the family and denies every access token of that login',
        'jwt-version': 'ending a family does not bump the user version: the attacker\'s access token lives until exp'
      } satisfies Strategies,
      sessionCopies: 'the attacker copies the session cookie; sessions have no refresh token to rotate',
      bothWork: 'both copies get 200; nothing flags the copy',
      copiesRefresh: 'the attacker copies the refresh token cookie (not the access token)',
      refreshesFirst: 'the attacker refreshes first and gets a fresh pair',
      attackerRefreshOk: (status: number) => `the attacker's refresh succeeds (${status})`,
      victimLater: 'later, the victim\'s client refreshes with the token it holds, which the attacker already spent',
      reuseDetected: (r: string) => `reuse detected: ${r}`,
      attackerDead: (r: string) => `the attacker's newer refresh token is dead too (${r})`,
      whatIsLeft: 'what is left: the access token the attacker got from the stolen refresh'
    },
    expiry: {
      title: 'The access token expires and the client refreshes silently',
      claim: 'Short-lived access tokens plus a long-lived refresh token: when the access token expires, the client quietly gets a new one. A session instead slides: it lives while used and ends when idle.',
      seed: {
        source: 'JWT access token and refresh token',
        quote: 'The refresh token is used to obtain a new access token when the access token has expired, so the user can keep using the service without logging in again.'
      } satisfies Seed,
      needs: 'short lifetimes (JWT_ACCESS_TTL=4s, SESSION_IDLE_TTL=3s)',
      why: {
        session: 'the idle timeout slides with activity and ends a session left idle (SESSION_IDLE_TTL=3s here)',
        'jwt-none': 'token_expired → POST /jwt/refresh → new access token, no new login',
        'jwt-denylist': 'same refresh flow in every mode',
        'jwt-version': 'same refresh flow in every mode'
      } satisfies Strategies,
      keepsWorking: 'alice keeps working: one request a second for 4.5 s, longer than the 3 s idle timeout',
      allAccepted: 'every request of the active period was accepted (the idle timer slides)',
      leavesIdle: 'then she leaves the tab idle for 3.5 s (idleness cannot be polled: this is a deliberate pause)',
      idleDetail: 'active 4.5 s: 200s; after 3.5 s idle: 401 session_expired',
      expiredOnItsOwn: (detail: string) => `the access token expired on its own (${detail})`,
      refreshesQuietly: 'the client sees token_expired and refreshes without asking alice for her password',
      rotated: 'the refresh token rotated (a new one replaced the spent one)',
      refreshedDetail: (s: string) => `expired after ${s} s; refreshed, retried: 200`
    },
    limit: {
      title: 'A concurrent-login limit pushes the oldest device out',
      claim: 'A server that keeps sessions can cap logins per user and end the oldest; with JWTs the cap can only act on refresh families.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'With sessions you get concurrent-session control (limiting how many may be logged in) and session expiry (forced logout): the security advantages of being stateful.'
      } satisfies Seed,
      needs: 'MAX_SESSIONS_PER_USER=2',
      why: {
        session: 'the third login ended the oldest session record',
        'jwt-none': 'the oldest refresh family ended; its access token lives until exp',
        'jwt-denylist': 'ending the oldest family also denied its access tokens',
        'jwt-version': 'ending a family does not bump the user version'
      } satisfies Strategies,
      tabletLogsIn: 'the phone and the laptop are logged in (MAX_SESSIONS_PER_USER=2); now the tablet logs in',
      devicesLeft: (list: string) => `devices left: ${list}`,
      phoneRefused: (r: string) => `the phone's refresh token is refused (${r})`
    },
    'scale-out': {
      title: 'Two server instances behind one address: log in on A, call B',
      claim: 'Sessions in one server\'s memory do not exist on another: scale-out needs sticky sessions, clustering or a shared store like Redis; a JWT verifies anywhere the key is.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Every request may reach a different server; on a server without the session information the user would have to log in again each time. Sticky sessions and session clustering exist, at a cost.'
      } satisfies Seed,
      needs: 'two instances',
      whyShared: (store: string) => `both instances share the ${store} (and the signing secret)`,
      why: {
        session: 'B\'s memory has no record of A\'s session',
        'jwt-none': 'B verifies the signature with the same secret; it needs nothing else (a refresh on B fails though)',
        'jwt-denylist': 'B\'s denylist is empty, so it accepts the token, even one logged out on A',
        'jwt-version': 'B looks the user up in its own memory store, where that user id does not exist'
      } satisfies Strategies,
      instances: (a: string, b: string, shared: string | null) => `instance A at ${a}, instance B at ${b}, same secrets, ${shared === null ? 'each with its own memory store' : `one shared ${shared}`}`,
      refreshOnB: (r: string, shared: string | null) => `refresh on B: ${r} (the refresh family lives in ${shared === null ? 'A\'s memory' : `the shared ${shared}`})`,
      bAnswers: (r: string) => `B answers ${r}`
    },
    'redis-down': {
      title: 'Redis goes down and comes back',
      claim: 'Whatever needs the store fails when the store is down; a stateless JWT keeps verifying. The server must fail closed (503, never a 200 it cannot check) and recover by itself.',
      seed: {
        source: 'JWT access token and refresh token',
        quote: 'Redis (storing refresh tokens): fast reads and writes, central management, expiry built in; but it needs separate infrastructure and adds operational complexity.'
      } satisfies Seed,
      needs: 'a Redis of its own to stop and start',
      why: {
        session: 'every request needs the session record: 503 while Redis is down',
        'jwt-none': 'access tokens need no store; refresh and login do (503)',
        'jwt-denylist': 'the denylist cannot be checked, so the token is not trusted: 503',
        'jwt-version': 'the version cannot be checked: 503'
      } satisfies Strategies,
      noRedisServer: 'redis-server is not installed: skipped',
      noRedisDetail: 'no redis-server',
      ownRedis: (url: string, cached: boolean) => `this story always uses Redis: a redis-server of its own (${url}), the only one it ever stops${cached ? '; its servers run with AUTH_CACHE=on' : ''}`,
      notOnPostgres: 'not run with --store postgres: the story stops its store, and the runner never stops the shared PostgreSQL (nor starts one of its own); run it with --store redis or redis-cached',
      notOnPostgresDetail: 'not run on PostgreSQL (it would have to stop the database)',
      stops: 'Redis stops (it saves a snapshot first, so its data can come back)',
      refreshNeedsStore: (r: string) => `refresh needs the store: ${r}`,
      loginNeedsStore: (r: string) => `login needs the store: ${r}`,
      starts: 'Redis starts again; the server reconnects by itself (polling /ready)',
      readyAgain: (s: string) => `ready again after ${s} s`,
      refreshWorks: (status: number) => `refresh works again (${status})`,
      sameCredential: (status: number) => `the same credential works again after recovery (${status})`,
      serverLogged: (errors: string) => `the server logged: ${errors}`,
      failsClosed: (error: string) => `503 ${error} while down, 200 after recovery`,
      keepsWorking: '200 while down (no store needed), refresh 503',
      cacheAnsweredWhileDown: (ops: string, ms: string | null) => `200 with x-auth-store-ops ${ops}: AUTH_CACHE answered from this instance's memory before it had noticed that Redis was gone; ${ms === null ? 'still no 503 3 s after the stop' : `503 from ${ms} ms after the stop`}`,
      cacheAnsweredDetail: (ops: string, ms: string | null) => `200 from AUTH_CACHE (${ops} store ops) right after Redis stopped, before the instance noticed; ${ms === null ? 'no 503 within 3 s' : `503 from ${ms} ms after the stop`}`,
      whileDown: (r: string) => `${r} while down`
    },
    // Stories 12-17 (demo/stories/measured.ts): load balancer, fat tokens, cost over time, rename, browser close, the verdict.
    'load-balancer': {
      title: 'Behind a load balancer: round robin, sticky sessions, a shared Redis, the cached mode',
      claim: 'With a store in each instance\'s memory a login lives on one instance: round robin logs the user out on the other, sticky sessions hold only until that instance dies. One shared Redis makes every instance answer; AUTH_CACHE keeps that at 0 store reads and still hears a logout at once.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Sticky sessions and session clustering came along, but they add cost and things to manage. A sticky session can only use the server it was first given, so when that server crashes or is overloaded there is nothing to be done.'
      } satisfies Seed,
      needs: 'two instances of its own per setup',
      why: {
        session: 'the record is in one instance\'s memory: only a shared store (Redis) serves it everywhere',
        'jwt-none': 'the access token verifies on any instance with the secret; only refresh needs the instance (or store) that issued it',
        'jwt-denylist': 'the token verifies anywhere, but a memory denylist is per instance: a logout reaches everyone only through a shared store',
        'jwt-version': 'each instance checks the user\'s version in its own store, where the other\'s users do not exist: a shared store is needed'
      } satisfies Strategies,
      roundRobin: (a: string, b: string) => `round robin over two instances with memory stores, A ${a} and B ${b} (the runner plays the balancer: the login goes to A, the next request to B; npm run cluster does this with HAProxy)`,
      refreshOnlyWhereIssued: (r: string) => `refresh through B: ${r} (the refresh family is in A's memory)`,
      sticky: 'sticky sessions: every request of this browser goes to A (the balancer\'s cookie pins it)',
      stickyWorks: 'pinned to A, every request is answered',
      kills: 'instance A stops (a crash, a deploy): the balancer can only send the browser to B now',
      afterDeath: (r: string) => `after A died, B answers ${r}, as B answered in round robin`,
      refreshDied: (r: string) => `refresh through B: ${r} (the family died with A)`,
      noRedis: 'no Redis for the shared-store and cached parts: skipped (see the message above)',
      noRedisCached: 'no Redis for the cached part: skipped (see the message above)',
      shared: (store: string) => `one shared ${store} behind two instances (same key prefix, same secrets)`,
      sharedWorks: (r: string) => `logged in through A, B answers ${r}`,
      sharedRefresh: (r: string, store: string) => `refresh through B: ${r} (the family is in the shared ${store})`,
      cached: 'the cached mode: STORE=redis AUTH_CACHE=on on both instances',
      cachedZero: (ops: string, none: boolean) => `B answers from its cache: x-auth-store-ops ${ops}${none ? ' (jwt-none reads nothing anyway)' : ''}`,
      logoutOnA: 'alice logs out through A; the next request goes to B',
      cachedAfterLogout: (r: string, immediate: boolean) => `B at once: ${r} (${immediate ? 'Redis told B\'s cache before A answered the logout' : 'this mode promises only exp after a logout'})`,
      detailAny: (r: string, store: string) => `memory stores, round robin: B answers ${r}; shared ${store}: works`,
      detailShared: (r: string, store: string) => `memory stores, round robin: B answers ${r}; sticky: out when A dies; shared ${store}: works`
    },
    'fat-token': {
      title: 'Fat tokens: claims grow, every request carries them',
      claim: 'A JWT carries its claims in every request: add group memberships and the Authorization header grows with them, until the token no longer fits a cookie (4096 bytes). A session cookie stays a signed id whatever the server knows about the login.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'The token itself is long and must be in every HTTP request, so the bigger the token the heavier the network load. Especially with stateless JWTs that encode all the data in the token, the size limits of cookies or URLs are soon exceeded.'
      } satisfies Seed,
      needs: 'the demo-only POST /jwt/demo/fat-token and both strategies on one server',
      why: {
        session: 'the cookie holds the session id only; claims stay in the server\'s record',
        'jwt-none': 'every claim is in the token, and the token is in every request',
        'jwt-denylist': 'the same token in every mode: the revocation mode does not change its size',
        'jwt-version': 'the same token in every mode: the revocation mode does not change its size'
      } satisfies Strategies,
      how: 'the demo server re-issues alice\'s access token with N made-up group names (POST /jwt/demo/fat-token, demo mode only); each row is one GET /api/me, its bytes counted on the wire (request line and headers)',
      colGroups: 'groups',
      colToken: 'token bytes',
      colCookie: 'fits a cookie?',
      colJwtRequest: 'JWT request bytes',
      colSessionRequest: 'session request bytes',
      colAnswer: 'JWT answer',
      yes: 'yes',
      no: 'no (> 4096)',
      refusedAt: (groups: number, bytes: number, answer: string) => `at ${groups} groups the token is ${bytes} bytes and this server refuses it: ${answer} (it accepts bearer tokens up to 4096 bytes)`,
      neverRefused: 'no token grew past what the server accepts',
      jwtGrows: (first: number, last: number, perGroup: string) => `the JWT request grows with the claims: ${first} → ${last} bytes (${perGroup} bytes per group)`,
      sessionSame: (bytes: number) => `the session request is ${bytes} bytes at every size`,
      perMinute: (plain: number, fat: number, session: number) => `at one request a second a user sends ${(plain * 60 / 1024).toFixed(1)} KiB a minute with the plain token, ${(fat * 60 / 1024).toFixed(1)} KiB with 50 groups, ${(session * 60 / 1024).toFixed(1)} KiB with the session cookie`,
      detailSession: (bytes: number) => `${bytes} bytes per request at every claim size`,
      detailJwt: (first: number, last: number) => `${first} → ${last} bytes per request`
    },
    'cost-over-time': {
      title: 'Cost over time: a store read per request, or one per refresh',
      claim: 'A session reads the store on every request; a JWT with a short access TTL touches it only when it refreshes. Measured here per request and per refresh, then multiplied out to store commands per minute per user.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'With sessions the store is looked up on every request, but a stored refresh token is only hit when the access token expires, so even storing it alongside seems worth it.'
      } satisfies Seed,
      needs: 'a redis-server of its own (it counts Redis commands)',
      why: {
        session: 'every request reads the session record (and a touch write now and then)',
        'jwt-none': 'requests read nothing; only a refresh (every access TTL) uses the store',
        'jwt-denylist': 'every request checks the denylist, besides the refreshes',
        'jwt-version': 'every request reads the user\'s version, besides the refreshes'
      } satisfies Strategies,
      noRedis: 'no redis-server',
      own: (url: string) => `a redis-server of this story's own (${url}): its INFO commandstats counts only this story's commands (its own INFO calls and the cache's heartbeats left out)`,
      perRequest: (commands: string, header: string, n: number) => `per request (${n} measured): ${commands} Redis commands; x-auth-store-ops says ${header} round trips`,
      perRequestCached: (commands: string, header: string) => `with AUTH_CACHE=on, once warm: ${commands} commands per request (x-auth-store-ops ${header})`,
      headerAgrees: (commands: string, header: string) => `the header and Redis agree (${commands} = ${header})`,
      perRefresh: (n: string, breakdown: string) => `per refresh (rotation): ${n} Redis commands (${breakdown}; commands inside Lua scripts count)`,
      perTouch: (n: string) => `per touch write (measured as SESSION_ROLLING=true's extra per request): ${n} Redis commands; it happens at most once a minute here`,
      colRate: 'requests',
      colTtl: (ttl: number) => `TTL ${ttl} min`,
      colTtlCached: (ttl: number) => `cached, TTL ${ttl} min`,
      rate: (rate: number) => `${rate}/s`,
      tableTitle: (strategy: string) => `Redis commands per minute per active user (${strategy}):`,
      formulaSession: 'session: 60 × rate × commands per request + one touch a minute; the TTL does not matter. Cached: one re-read a minute (AUTH_CACHE_TTL 60 s) instead of one per request',
      formulaJwt: 'JWT: 60 × rate × commands per request + commands per refresh ÷ TTL in minutes. Cached: one re-read a minute (AUTH_CACHE_TTL 60 s) instead of one per request (none: nothing to read)',
      scalesWithRate: (at1: string, at10: string) => `the cost follows the request rate: ${at1} at 1/s, ${at10} at 10/s`,
      flatInRate: (x: string) => `the cost does not follow the request rate: ${x} a minute at 1/s and at 10/s`,
      detailPerRequest: (perRequest: string, at10: string) => `${perRequest} per request: ${at10} a minute at 10/s`,
      detailPerRefresh: (perRefresh: string, perMinute: string) => `${perRefresh} per refresh: ${perMinute} a minute with a 5 min TTL, at any rate`
    },
    rename: {
      title: 'An admin renames the user: stale claims beyond the role',
      claim: 'The role is not the only copy in a token: the username (and anything else it carries) stays as issued until the token is refreshed. A rename ends no login, so no revocation mode refuses the token; a session reads the new name from its record.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Stale data: the token may hold outdated information, such as an old website URL that someone has since changed in their profile.'
      } satisfies Seed,
      needs: 'the admin rename route of this server version',
      why: {
        session: 'the rename rewrote the username in every session record of the user',
        'jwt-none': 'preferred_username is a copy taken at issue time, until a refresh issues a new token',
        'jwt-denylist': 'a rename is not a revocation: nothing is denied, the claim is just stale',
        'jwt-version': 'a rename bumps no version (it ends nothing), so the old token passes with the old name'
      } satisfies Strategies,
      before: (name: string) => `before: /api/me says ${name}`,
      renames: (name: string) => `the admin renames alice to ${name} (POST /admin/users/alice/username)`,
      noVersionBump: (before: number, after: number) => `the rename bumped no version (token ver ${before}, user version ${after})`,
      newNameLogsIn: (status: number) => `the new name logs in with the same password (${status})`,
      sessionAtOnce: (name: string) => `the next request says ${name}`,
      sessionStale: (what: string) => `the session still says ${what}`,
      refreshes: 'the client refreshes (as it does when its access token expires)',
      refreshBringsName: (name: string) => `after the refresh /api/me says ${name}`,
      tokenStale: (s: string) => `old name for ${s} s, new name after refresh`
    },
    'browser-close': {
      title: 'Closing the browser: session cookies and persistent ones',
      claim: 'A cookie without Max-Age or Expires lives in the browser\'s memory and is gone when the browser closes; one with them survives a restart. SESSION_COOKIE_PERSISTENT chooses for the session cookie; the JWT refresh cookie is persistent. Closing the browser is not a logout: the server keeps the record until its idle limit.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Session cookie: kept in memory only; it has an expiry time but is deleted when the browser closes. Persistent cookie: stored in a file, can be kept long with Max-Age, usable whether or not the browser closes.'
      } satisfies Seed,
      needs: 'a server with SESSION_COOKIE_PERSISTENT=false',
      why: {
        session: 'the setting decides: the default persistent cookie survives, SESSION_COOKIE_PERSISTENT=false ends with the browser',
        'jwt-none': 'the access token in page memory is gone, but the refresh cookie has Max-Age: one refresh and the login is back',
        'jwt-denylist': 'the same refresh cookie in every mode',
        'jwt-version': 'the same refresh cookie in every mode'
      } satisfies Strategies,
      restarts: (dropped: string) => `the browser restarts: it drops the cookies without Max-Age or Expires (${dropped}) and everything the page kept in memory`,
      nothingDropped: 'none of its cookies',
      jwtHolds: 'the refresh cookie came with Max-Age; the access token lives in the page\'s memory',
      accessGone: (r: string) => `without the access token /api/me answers ${r}`,
      jwtBack: 'access token lost with the page; the persistent refresh cookie brought the login back',
      twoServers: 'two session servers: the default (SESSION_COOKIE_PERSISTENT=true) for the laptop, SESSION_COOKIE_PERSISTENT=false for the phone; compare the Set-Cookie attributes',
      persistentSurvives: (r: string) => `the persistent cookie survived the restart: ${r}`,
      sessionCookieGone: (r: string) => `the browser-session cookie is gone: ${r}`,
      notALogout: 'a copy of the browser-session cookie taken before the restart (malware, a synced profile) still works: closing the browser ended nothing on the server',
      recordStays: (r: string) => `the copy: ${r}`,
      sessionDetail: 'persistent: 200 after the restart; SESSION_COOKIE_PERSISTENT=false: logged out'
    },
    verdict: {
      title: 'Is JWT a bad default? The figures side by side',
      claim: 'The notes end on a critique: JWT should not be the default. Here are this project\'s own figures for each mechanism, measured now on one server, with the critique and its counter-arguments.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Do not put it in a boilerplate template: JWT should not be adopted as the default.'
      } satisfies Seed,
      needs: 'a demo server with every mechanism mounted',
      why: {
        session: 'the logout deleted the record: the copy is refused at once',
        'jwt-none': 'nothing on the server knows of the logout: the copy works until exp',
        'jwt-denylist': 'the logout denied the token: the copy is refused at once, for one store read per request',
        'jwt-version': 'a logout bumps no version: the copy works until exp'
      } satisfies Strategies,
      oneServer: 'one demo server mounts every mechanism (/session, /jwt with JWT_REVOCATION=none, /jwt-denylist, /jwt-version); alice logs in on each, calls /api/me once, looks at what the server keeps, logs out and replays a copy taken before',
      colMechanism: 'mechanism',
      colBytes: 'request bytes',
      colStoreOps: 'store ops/request',
      colKeeps: 'server keeps (bytes)',
      colWindow: 'copy after logout',
      colClient: 'client lines',
      never: 'never refused',
      atOnce: (endedBy: string) => `refused at once (${endedBy})`,
      seconds: (s: number, endedBy: string) => `${s} s more (${endedBy})`,
      tableTitle: 'Measured now (access tokens live 4 s here; 15 min is the server default):',
      notes: (methods: string) => `request bytes: GET /api/me on the wire; server keeps: key names and values the inspection shows (secrets redacted, so ± a few bytes); client lines: the runner's own JWT-only client code (Actor.${methods} in demo/story.ts), beyond what a browser does for any cookie`,
      noBench: 'CPU per request: no bench/results/latest.json here, so none is quoted (npm run bench writes it)',
      bench: (when: string, commit: string, rows: string) => `CPU per request from bench/results/latest.json (${when}, commit ${commit}): ${rows}`,
      critiqueTag: 'critique:',
      critique: [
        'Do not put it in a boilerplate template: JWT should not be adopted as the default.',
        'With JWT the client and the server must both manage the session; a standard session cookie works with the server managing it alone.',
        'Stateless JWTs that encode all the data in the token soon exceed the size limits of cookies or URLs.',
        'Unlike sessions, which the server can invalidate whenever it wants, an individual stateless JWT cannot be invalidated.'
      ],
      counterTag: 'counter:',
      counter: [
        'All the information authentication needs is in the token, so the server can be stateless: horizontal scaling is easy, no session cluster needed (though revocation or refresh tokens need a store again, such as Redis).',
        'Sessions look up the store on every request; a stored refresh token is only hit when the access token expires.',
        'Tokens work with external authentication (OAuth, social logins) and suit mobile applications.'
      ],
      evidence: (session: number, jwt: number) => `the evidence above: a session request is ${session} bytes, a JWT one ${jwt}; only jwt-none reads no store per request, and only it and jwt-version let a logged-out copy work until exp. The revocation that makes a JWT behave like a session costs the same store read per request a session costs (the cost-over-time story), and AUTH_CACHE takes that read away for both`,
      sessionSmaller: (session: number, jwt: number) => `the session request is smaller (${session} < ${jwt} bytes)`,
      noneNoStore: (ops: string) => `jwt-none reads no store per request (${ops})`,
      ownNever: 'the copy was never refused',
      ownAtOnce: (endedBy: string) => `copy refused at once: ${endedBy}`,
      ownUntil: (s: number, endedBy: string) => `copy worked ${s} s more, then ${endedBy}`
    },
    // The security stories (demo/stories/): where the token is kept, CSRF off and on, a refresh from a new address.
    'token-storage': {
      title: 'Where the client keeps the token: an XSS reads what it can',
      claim: 'Script injected into the page (XSS) reads anything in localStorage or in page memory; an HttpOnly cookie it cannot read, but every same-origin request it makes carries the cookie.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Safe from XSS (planting malicious JS across sites): when the server sets the cookie\'s httpOnly option, JS cannot access the cookie at all.'
      } satisfies Seed,
      why: {
        session: 'the session id is an HttpOnly cookie: unreadable, but the injected script\'s own requests carry it',
        'jwt-none': 'the access token is in page memory (and this lab\'s localStorage): script reads it and replays it from anywhere',
        'jwt-denylist': 'the same in every mode: where the token lives decides, not how it is revoked',
        'jwt-version': 'the same in every mode: where the token lives decides, not how it is revoked'
      } satisfies Strategies,
      noChromium: (path: string) => `no Chromium at ${path} (apt-get install chromium, or set CHROMIUM_PATH): this story needs a real browser; skipped`,
      noChromiumDetail: 'no Chromium',
      opens: (url: string) => `a real browser (Chromium, the server's strict CSP) opens the demo-only XSS lab ${url}; the lab loads /xss-lab-injected.js on purpose: it plays the attacker's injected script`,
      strictCsp: (csp: string) => `the lab is served under the strict CSP (${csp}): no inline script, so the "injected" script is a file`,
      appLoggedIn: (mount: string, status: string) => `the lab's app logged alice in on ${mount} and called GET ${mount}/api/me → ${status}`,
      localStorage: (list: string) => `injected script reads localStorage: ${list}`,
      memory: (list: string) => `injected script reads page memory (it wrapped fetch before the app ran): ${list}`,
      documentCookie: (value: string) => `injected script reads document.cookie: ${value}`,
      nothing: 'nothing',
      empty: '"" (empty)',
      names: (user: string) => `names ${user}`,
      browserHolds: (list: string) => `what the browser holds for this site: ${list}`,
      httpOnlyUnreadable: (names: string) => `the HttpOnly cookie(s) ${names} never appear in document.cookie`,
      ride: (request: string, status: number, gotToken: boolean) => `injected script rides the cookie: ${request} → ${status}${gotToken ? ', and the answer holds a fresh access token it can read' : ''}`,
      replays: (status: number) => `the token it read, sent without any cookie (as from the attacker's machine): GET /api/me → ${status}`,
      noProblems: (list: string) => `no CSP violation or page error${list === '' ? '' : `: ${list}`}`,
      ridden: (list: string) => `while the script runs it can act as alice: ${list}`,
      tokenReadDetail: (fromStorage: boolean, fromMemory: boolean, status: number) => `token read from ${[fromStorage ? 'localStorage' : '', fromMemory ? 'page memory' : ''].filter(x => x !== '').join(' and ')}; replayed elsewhere: ${status}`,
      riddenDetail: (list: string) => `nothing readable; cookie ridden: ${list}`,
      nothingWorked: 'nothing read, nothing ridden'
    },
    csrf: {
      title: 'CSRF: a form on another site, with the defences off and on',
      claim: 'A cookie goes wherever the browser sends it, even with a form another site submits. SameSite, an Origin check and JSON-only bodies each stop that; a bearer token in page memory is never sent by a form.',
      seed: {
        source: 'JWT access token and refresh token',
        quote: 'An HttpOnly cookie cannot be reached by client script, so it protects against XSS; but it is only safer than LocalStorage or SessionStorage: an HttpOnly cookie is still open to CSRF.'
      } satisfies Seed,
      needs: 'a server with DEMO_UNSAFE_CSRF=true',
      why: {
        session: 'with SameSite=None, no Origin check and form bodies the form acts as alice; with the project\'s settings it is refused',
        'jwt-none': 'the access token is in page memory, which a form cannot send; the refresh cookie is SameSite=Strict and Path=/jwt',
        'jwt-denylist': 'as jwt-none: the form carries no bearer token',
        'jwt-version': 'as jwt-none: the form carries no bearer token'
      } satisfies Strategies,
      sites: (origin: string) => `the attacker's site is ${origin}: another host than 127.0.0.1, so another site. Its page holds two forms: a note, and logout`,
      unsafeSetting: 'first a server with DEMO_UNSAFE_CSRF=true (demo mode on loopback only): session cookie SameSite=None, no Origin check, form bodies parsed',
      projectSetting: 'now the same with the project\'s settings',
      unsafeVisit: (origin: string) => `alice, logged in, opens ${origin}; its forms post to the API (defences off)`,
      safeVisit: (origin: string) => `alice, logged in, opens ${origin}; its forms post to the API (the project's settings)`,
      cookies: (attached: string, withheld: string) => `the browser attaches: ${attached}; withholds: ${withheld}`,
      none: 'nothing',
      fromSite: (origin: string) => `(a form on ${origin})`,
      forged: (path: string, status: number) => `forged: ${path} answered ${status} for alice without her doing anything`,
      harmless: (path: string, status: number) => `${path} answered ${status}, but no credential came with it: nothing happened`,
      refused: (path: string, r: string, layers: string) => `refused: ${path} → ${r} (by ${layers})`,
      layerSameSite: 'SameSite: the browser sent no cookie',
      layerOrigin: 'the Origin/Sec-Fetch-Site check',
      layerContentType: 'the JSON-only body rule',
      layerNoBearer: 'no bearer token: a form cannot set Authorization',
      refreshStillWorks: (status: number) => `alice's refresh still works (${status}): the form did not touch her login`,
      ifSameSite: (origin: string) => `each layer on its own: the same page on ${origin}, another port of the API's host. Ports do not make a site: the browser attaches every cookie, Strict too (measured in Chromium)`,
      originLayer: (r: string) => `the Origin check refuses it (${r})`,
      ifNoOrigin: 'and if that request came without Origin and Sec-Fetch-Site (no browser submits a form so)?',
      realChromium: 'note: the runner\'s browser keeps this SameSite=None cookie; a real Chromium drops SameSite=None without Secure (measured), so the unsafe setting shows the rule, not a browser',
      contentTypeLayer: (r: string) => `the JSON-only body rule refuses it (${r})`,
      detail: (unsafeStatus: number, unsafeStillIn: boolean, safeStatus: number, safeStillIn: boolean) =>
        `defences off: note ${unsafeStatus}, alice ${unsafeStillIn ? 'still logged in' : 'logged out'}; project settings: note ${safeStatus}, alice ${safeStillIn ? 'still logged in' : 'logged out'}`
    },
    'new-device': {
      title: 'Flag, don\'t block: a stolen refresh token used from another address',
      claim: 'Refusing a refresh from a new IP or device would log out every phone that changes networks; the server records it instead, and the device list shows the login\'s owner a flag she can act on.',
      seed: {
        source: 'JWT access token and refresh token',
        quote: 'On a refresh token request, check the user\'s IP address or device, and invalidate the token when unusual activity is detected.'
      } satisfies Seed,
      why: {
        session: 'a session cookie is replayed, never refreshed, and a session request writes nothing it could flag',
        'jwt-none': 'the refresh from 203.0.113.66 is recorded on its login (no extra store trip) and shown on the device list',
        'jwt-denylist': 'the same in every mode: the flag lives in the refresh family',
        'jwt-version': 'the same in every mode: the flag lives in the refresh family'
      } satisfies Strategies,
      stealsRefresh: 'malware on alice\'s machine copies her refresh cookie to the attacker (the demo\'s steal tool)',
      stealsCookie: 'malware on alice\'s machine copies her session cookie to the attacker (the demo\'s steal tool)',
      attackerRefreshes: 'the attacker refreshes with it from his own machine (203.0.113.66, attacker-laptop/1.0)',
      attackerCalls: 'the attacker replays it from his own machine (203.0.113.66, attacker-laptop/1.0)',
      notBlocked: (r: string) => `not blocked: ${r} (blocking would refuse a phone on a new network just the same)`,
      victimLooks: 'later alice opens her device list',
      device: (ua: string, ip: string, flags: string) => `login ${ua} from ${ip}: ${flags === '' ? 'no flag' : `flagged: ${flags}`}`,
      nothingToSee: 'nothing tells alice; she ends her login anyway (the story checks what that does to the copy)',
      endsIt: 'alice does not recognise 203.0.113.66 and ends that login',
      ended: (status: number) => `the login is ended (${status})`,
      attackerOut: (status: number) => `the attacker's copy is dead (${status})`,
      notFlaggedDetail: (status: number) => `replay ${status}; the device list shows no flag`,
      flaggedDetail: (status: number, ip: string) => `refresh ${status}; the device list flags new_address ${ip}`
    }
  }
}

export type Messages = typeof en
