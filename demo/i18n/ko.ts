/**
 * 데모 러너가 출력하는 모든 문장의 한국어판. 키는 en.ts와 같고 타입이 `Messages`이므로 빠진 키는
 * 타입 검사에서 실패한다. 각 이야기의 `seed.quote`는 원본 노트의 문장을 그대로 옮긴 것이다.
 */
import type { Messages } from './en.js'

export const ko: Messages = {
  outcome: {
    works: '동작함',
    rejected: '즉시 거부',
    'until-exp': 'exp까지 동작',
    'at-once': '새 역할 즉시 반영',
    'until-refresh': '갱신 전까지 옛 정보',
    'old-token-rejected': '거부, 갱신으로 복구',
    undetected: '탐지 못 함',
    'idle-expiry': '사용 중 연장, 유휴 시 만료',
    'silent-refresh': '조용히 재발급',
    'fails-closed': '중단 중 503',
    'keeps-working': '중단 중에도 200',
    skipped: '건너뜀',
    // 이야기 12-17 (demo/stories/measured.ts).
    'shared-store': '공유 저장소 필요',
    'any-instance': '어느 인스턴스든',
    'same-size': '크기 그대로',
    grows: '클레임만큼 커짐',
    'per-request': '요청마다 저장소',
    'per-refresh': '갱신 때만 저장소',
    renamed: '새 이름 즉시 반영',
    'by-setting': '설정에 따라',
    'survives-restart': '재시작 뒤에도 유지',
    // 보안 이야기 (demo/stories/).
    'cookie-ridden': '읽지는 못하나 올라탐',
    'token-read': '스크립트가 토큰 읽음',
    'forged-unsafe-only': '방어 끌 때만 위조',
    'not-exposed': '노출되지 않음',
    flagged: '표시됨, 계속 동작',
    'not-flagged': '표시 없음'
  },
  observedUntilExp: (s: number) => `${s}초 더 동작`,
  observedUntilRefresh: (s: number) => `${s}초 옛 정보, 갱신`,

  stores: {
    memory: '메모리 저장소',
    redis: 'Redis 저장소',
    'redis-cached': 'AUTH_CACHE=on인 Redis 저장소',
    postgres: 'PostgreSQL 저장소'
  },

  actors: {
    aliceBrowser: 'alice의 브라우저',
    oldCopy: '예전 사본',
    aliceLoggingInAgain: '다시 로그인하는 alice',
    aliceLaptop: 'alice의 노트북',
    alicePhone: 'alice의 휴대폰',
    aliceTablet: 'alice의 태블릿',
    oldPassword: '옛 비밀번호를 아는 사람',
    newPassword: '새 비밀번호로 로그인하는 alice',
    alice: 'alice',
    thief: '도둑',
    attacker: '공격자',
    viaA: 'alice (A 경유)',
    viaB: 'alice (B 경유)',
    bob: 'bob',
    admin: '관리자'
  },

  story: {
    checkOk: '통과',
    checkBad: '실패',
    storeOps: '저장소 조회',
    notWaited: (left: number) => `아직 받아들여짐. exp(${left}초 뒤)에 멈출 것 (기다리지 않음: 서버의 JWT_ACCESS_TTL이 김)`,
    notWaitedDetail: (left: number) => `아직 받아들여짐. exp까지 ${left}초`,
    expiredBeforeJudged: '사건을 판정할 때 액세스 토큰이 이미 만료되어 있었음 (느리거나 바쁜 기계?): 이 결과로는 아무것도 알 수 없음. 다시 실행하거나 --access-ttl 10s로 실행하세요',
    polling: (left: string) => `아직 받아들여짐. 멈출 때까지 250ms마다 다시 요청합니다 (exp까지 ${left}초)…`,
    atOnce: (statusAndError: string) => `즉시 ${statusAndError}`,
    afterEvent: (status: number) => `사건 뒤에도 ${status}`,
    stillAccepted: (s: number) => `사건 ${s}초 뒤에도 받아들여짐`,
    morePolls: (n: number) => `(그 사이 ${n}번 더 받아들여진 뒤)`,
    thenExpired: (s: number) => `${s}초 더 받아들여진 뒤 401 token_expired`,
    thenRefused: (s: number, statusAndError: string) => `${s}초 더 받아들여진 뒤 ${statusAndError}`,
    cookie: (name: string, value: string, chars: number, attributes: string) => `쿠키 ${name}=${value} (${chars}자) · ${attributes}`,
    expiresIn: (s: number) => `${s}초 뒤 만료(Expires)`,
    accessToken: (bytes: number, header: string) => `액세스 토큰 (${bytes}바이트, 가진 사람은 누구나 읽을 수 있음) · 헤더 ${header}`,
    payload: (payload: string, left: number, signature: string) => `  페이로드 ${payload} · exp까지 ${left}초 · 서명 ${signature}`,
    holdsNothing: '아무것도 없음 (쿠키도 토큰도 없음)',
    inspectUnavailable: (statusAndError: string) => `서버 보관: (조회 불가: ${statusAndError}; DEMO_MODE가 켜져 있나요?)`,
    keepsFor: (label: string, note: string) => `${label}의 자격 증명에 대해 서버가 보관하는 것: ${note}`,
    keyExpiresIn: (s: number) => ` (${s}초 뒤 만료)`,
    keyNothing: '없음',
    expiredWhilePaused: (label: string) => `주의: 멈춘 사이 ${label}의 액세스 토큰이 만료됨. 결과가 약속과 다를 수 있음`
  },

  run: {
    holdsTag: '보유',
    serverTag: '서버',
    header: (count: number, strategies: string, store: string, where: string) => `session-vs-jwt 데모: 시나리오 ${count}개 × ${strategies} · 저장소 ${store}${where}`,
    freshServer: ' · 이야기마다 새 서버',
    atServer: (url: string) => ` · 서버 ${url}`,
    intro: '각 이야기는 전략이 약속하는 결과를 먼저 말하고, 오간 요청, 클라이언트가 가진 것, 서버가 보관하는 것을 보여 줍니다.',
    claim: '주장:',
    seed: (source: string) => `노트(「${source}」):`,
    storeName: (store: string) => `(${store})`,
    database: (schema: string) => `PostgreSQL: 이번 실행 전용 스키마 ${schema}, 끝나면 삭제`,
    expected: '예상:',
    observed: '관찰:',
    expectedInstead: (label: string) => `예상은 ${label}`,
    failedChecks: (list: string) => `; 실패한 확인: ${list}`,
    needsOwnServers: (what: string) => `${what} 필요: --url 없이 실행하세요`,
    crashed: (message: string) => `이야기가 중단됨: ${message}`,
    matrixTitle: (store: string) => `결과 표 (저장소: ${store}; ✔ = 전략이 약속한 대로)`,
    matrixScenario: '시나리오',
    matrixNote1: '각 칸: 사건 뒤 시험 대상 자격 증명이 어떻게 되었는가 (2, 6: 로그아웃 뒤의 예전/훔친 사본;',
    matrixNote2: '7: 재사용이 탐지된 뒤 공격자의 액세스 토큰; 9: 가장 오래된 기기; 10: 인스턴스 B에 보낸 요청).',
    allOk: (n: number, s: number) => `결과 ${n}개 모두 예상대로 (${s}초).`,
    someBad: (bad: number, n: number) => `결과 ${n}개 중 ${bad}개가 전략의 약속과 다름 (위의 ✘ 참고).`,
    stepPrompt: '[Enter: 다음 단계]',
    stepPromptStory: '[Enter: 이 이야기 시작]',
    stepInputEnded: '표준 입력이 끝남: 멈추지 않고 계속 실행',
    stepMode: (ttl: string) => `단계 모드: 요청마다 Enter를 기다립니다. 사건이 일어난 뒤에는 멈추지 않습니다 (시간은 사건부터 잽니다). 멈춘 사이 만료되지 않도록 이 모드에서 액세스 토큰 수명은 ${ttl}입니다.`,
    paceMode: (pace: number, ttl: string) => `속도 모드: 각 이야기의 사건 전까지 단계 사이에 ${pace}초씩 쉽니다. 이 모드에서 액세스 토큰 수명은 ${ttl}입니다.`
  },

  scenarios: {
    login: {
      title: '로그인하고 보호된 경로 호출하기',
      claim: '세션은 쿠키 속 무작위 id와 서버의 기록이고, JWT는 클레임을 스스로 담고 서명으로 검증됩니다. 저장소 조회 횟수(요청마다의 비용)를 보세요.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: '서버에서 세션 저장소를 사용하므로 요청이 많아지면 서버에 부하가 심해진다. / Refresh Token을 같이 사용한다면, 요청 시 마다 액세스 토큰만 검증하면 되므로 DB나 다른 스토리지를 조회하지 않아도 된다.'
      },
      why: {
        session: '쿠키의 id로 기록을 찾음: 요청마다 저장소 읽기 1회',
        'jwt-none': '서명과 exp를 서버 안에서 검증: 저장소 읽기 0회',
        'jwt-denylist': '서명 검증 뒤 거부 목록(블랙리스트) 조회 1회',
        'jwt-version': '서명 검증 뒤 사용자 버전 조회 1회'
      },
      storeOpsCheck: (ops: string, none: boolean) => `x-auth-store-ops = ${ops} (${none ? '0: 아무것도 조회하지 않음' : '저장소 왕복 1회'})`,
      whyCached: '캐시가 없을 때와 같은 조회(세션 기록, 거부 목록 표시, 사용자 버전)지만, AUTH_CACHE=on이면 이 인스턴스의 캐시에 들어가기 전까지만 Redis에 묻고 그 뒤로는 저장소 왕복 0회',
      storeOpsCached: (first: string, warm: string) => `x-auth-store-ops는 첫 호출에서 ${first} (로그인 때의 조회가 이미 이 인스턴스의 캐시를 채웠으면 0, 아니면 1), 캐시가 찬 뒤 ${warm}: AUTH_CACHE가 응답함`,
      missing: '없음',
      works: (ops: string) => `200, 저장소 조회 ${ops}회`
    },
    logout: {
      title: '로그아웃한 뒤 예전 자격 증명을 다시 보내기',
      claim: '세션에서 로그아웃하면 기록이 지워져 쿠키는 즉시 무효가 됩니다. JWT는 서버 상태 없이는 "로그아웃"할 수 없어 exp까지 유효합니다.',
      seed: {
        source: 'JWT 토큰의 발급, 사용, 관리 방식 총정리',
        quote: '사용자가 로그아웃을 요청하면, 클라이언트는 저장된 JWT를 삭제합니다. 서버 측에서는 refresh_token을 무효화합니다. 즉, 해당 토큰으로 더 이상 새 access_token을 발급받을 수 없도록 합니다.'
      },
      why: {
        session: '로그아웃이 쿠키가 가리키는 기록을 지움',
        'jwt-none': '서버의 어떤 것도 토큰이 로그아웃되었음을 모름. 리프레시 토큰만 무효가 됨',
        'jwt-denylist': '로그아웃이 토큰의 jti(와 그 로그인)를 거부 목록에 올림',
        'jwt-version': '로그아웃은 사용자 버전을 바꾸지 않으므로 토큰의 ver가 여전히 일치함'
      },
      logsOut: 'alice가 로그아웃합니다. 그 전에 브라우저가 가진 것을 복사해 두었습니다',
      oldRefreshRefused: (r: string) => `예전 리프레시 토큰은 즉시 거부됨 (${r})`
    },
    role: {
      title: '관리자가 사용자의 역할을 바꿈 (오래된 클레임)',
      claim: 'JWT 안의 역할은 발급 시점의 사본입니다. 바뀐 뒤에도 토큰은 재발급 전까지 이전 역할을 담고 있고, 세션은 역할을 서버에서 읽습니다.',
      seed: {
        source: 'JWT의 무상태적 특성',
        quote: '예를 들어, 사용자의 역할(role)이 변경되었는데 토큰에 이전 역할이 포함되어 있다면, 서버는 여전히 잘못된 역할을 신뢰하게 됨'
      },
      why: {
        session: '역할은 세션 기록에 있고, 변경이 그 기록을 고쳐 씀',
        'jwt-none': '예전 토큰은 만료되어 갱신으로 새 토큰을 받을 때까지 여전히 role "user"',
        'jwt-denylist': '역할 변경은 폐기가 아님: 토큰은 거부되지 않고 클레임만 오래된 것',
        'jwt-version': '변경이 사용자 버전을 올려 예전 토큰은 거부되고, 갱신하면 새 역할이 담김'
      },
      promotes: '관리자가 alice를 admin으로 올립니다',
      nextRequest: '바로 다음 요청에서 200',
      notSeen: (r: string) => `${r}: 새 역할이 보이지 않음`,
      clientRefreshes: '클라이언트가 갱신합니다 (액세스 토큰이 만료되거나 거부되면 하듯이)',
      newRoleWorks: (status: number) => `갱신 뒤 새 역할이 동작함 (${status})`,
      staleThenRefresh: (s: string) => `${s}초 동안 이전 역할, 갱신 뒤 새 역할`,
      refreshNewRole: (detail: string) => `${detail}; 갱신 → 새 역할`,
      oldRoleStayed: (detail: string) => `이전 역할이 남음: ${detail}`
    },
    disable: {
      title: '계정이 비활성화됨',
      claim: '계정을 비활성화하면 사용자가 막혀야 합니다. 무상태 JWT는 이를 알지 못해 exp까지 신뢰받습니다.',
      seed: {
        source: 'JWT의 무상태적 특성',
        quote: '계정이 비활성화되었더라도 유효한 JWT를 사용하면 서버는 이를 검증하고 접근을 허용할 수 있음'
      },
      why: {
        session: '비활성화가 사용자의 모든 세션 기록을 지움',
        'jwt-none': '리프레시 패밀리는 즉시 끝나지만 액세스 토큰은 서명만 검증됨',
        'jwt-denylist': '비활성화가 사용자에 "버전 N 이전은 폐기"를 기록하고, 요청마다 확인함',
        'jwt-version': '비활성화가 버전을 올림 (사용자 기록에도 비활성으로 표시)'
      },
      refreshRefused: (r: string) => `갱신은 즉시 거부됨 (${r})`,
      loginRefused: (r: string) => `새 로그인도 거부됨 (${r})`
    },
    password: {
      title: '비밀번호 변경: 모든 기기가 로그아웃되나?',
      claim: '비밀번호를 바꾸면(흔히 도난 뒤) 기존 로그인이 모두 끝나야 합니다. 세션은 사용자별 색인으로 모두 찾고, 평범한 JWT는 exp까지 살아 있습니다.',
      seed: {
        source: 'JWT의 무상태적 특성',
        quote: '블랙리스트(Blacklist) 방식: 서버에서 특정 토큰을 무효화할 수 있는 블랙리스트를 유지 / 사용자가 중요한 정보를 변경하면 기존 토큰을 블랙리스트에 추가'
      },
      why: {
        session: '변경이 모든 기기의 모든 세션을 끝냄',
        'jwt-none': '모든 리프레시 패밀리는 끝나지만 이미 발급된 액세스 토큰은 exp까지 삶',
        'jwt-denylist': '사용자가 "버전 N 이전은 폐기"로 표시됨',
        'jwt-version': '버전이 올라 그보다 오래된 토큰은 모두 거부됨'
      },
      phoneLikeLaptop: (status: number) => `휴대폰도 노트북과 같은 결과 (${status})`,
      oldPasswordFails: (status: number) => `옛 비밀번호로는 더 이상 로그인할 수 없음 (${status})`,
      newPasswordWorks: (status: number) => `새 비밀번호로는 됨 (${status})`
    },
    'stolen-access': {
      title: '로그아웃 전에 훔친 자격 증명을 다른 클라이언트가 재사용',
      claim: '훔친 세션 쿠키나 액세스 토큰은 도둑에게도 주인과 똑같이 동작합니다. 차이는 로그아웃이 도둑의 사본에 무엇을 하느냐입니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: '해커가 세션Id를 중간에 탈취하여 클라이언트인척 위장할 수 있다는 한계가 있다. / 토큰을 탈취당하면 대처하기 어렵다. 한 번 발급되면 유효기간이 만료될 때 까지 계속 사용이 가능하기 때문이다.'
      },
      why: {
        session: '피해자의 로그아웃이 도둑의 사본이 가리키는 기록을 지움',
        'jwt-none': '도둑의 사본은 exp까지 검증을 통과함. 로그아웃은 리프레시 토큰만 끝냄',
        'jwt-denylist': '로그아웃이 토큰의 jti와 그 로그인을 거부 목록에 올림',
        'jwt-version': '로그아웃은 버전을 올리지 않음. 전체 폐기나 비밀번호 변경만 올림'
      },
      copiesCookie: '도둑이 세션 쿠키를 복사합니다 (악성 코드, 공용 컴퓨터, 프록시 로그: HttpOnly는 페이지 스크립트만 막음)',
      copiesToken: '도둑이 액세스 토큰을 복사합니다 (페이지의 어떤 스크립트든, 또는 로그에서 읽을 수 있음)',
      cannotTell: '로그아웃 전에는 서버가 도둑과 alice를 구별할 수 없음',
      logsOut: 'alice가 로그아웃합니다'
    },
    'stolen-refresh': {
      title: '훔친 리프레시 토큰: 공격자가 먼저 갱신하고, 그다음 피해자가',
      claim: '회전하는 리프레시 토큰은 도난을 탐지합니다. 이미 쓰인 패밀리의 토큰이 다시 오면 패밀리 전체를 파기하고 모두 다시 로그인해야 합니다.',
      seed: {
        source: 'JWT(JSON WEB TOKEN) — RefreshToken을 사용한 이유',
        quote: '이상을 감지하면 서버는 문제의 Refresh토큰을 파괴하고 모든 것과 연결된 액세스 토큰을 무효화한다. 따라서 리소스를 필요로 하는 모든 권한 부여에 대한 악의적인 추가 액세서를 방지한다. 사용자는 로그인을 다시하고 Refresh, Access Token을 재발급 받아야 한다.'
      },
      why: {
        session: '세션 쿠키는 회전하지 않음: 두 사본 모두 계속 동작하고 아무도 알아채지 못함',
        'jwt-none': '재사용이 패밀리를 끝내지만(더 이상 갱신 불가) 공격자의 마지막 액세스 토큰은 exp까지 삶',
        'jwt-denylist': '재사용이 패밀리를 끝내고 그 로그인의 모든 액세스 토큰을 거부함',
        'jwt-version': '패밀리를 끝내도 사용자 버전은 오르지 않음: 공격자의 액세스 토큰은 exp까지 삶'
      },
      sessionCopies: '공격자가 세션 쿠키를 복사합니다. 세션에는 회전할 리프레시 토큰이 없습니다',
      bothWork: '두 사본 모두 200. 아무것도 사본을 잡아내지 못함',
      copiesRefresh: '공격자가 리프레시 토큰 쿠키를 복사합니다 (액세스 토큰은 아님)',
      refreshesFirst: '공격자가 먼저 갱신해 새 토큰 한 쌍을 받습니다',
      attackerRefreshOk: (status: number) => `공격자의 갱신 성공 (${status})`,
      victimLater: '나중에 피해자의 클라이언트가 가진 토큰으로 갱신합니다. 공격자가 이미 쓴 토큰입니다',
      reuseDetected: (r: string) => `재사용 탐지: ${r}`,
      attackerDead: (r: string) => `공격자의 더 새로운 리프레시 토큰도 무효 (${r})`,
      whatIsLeft: '남은 것: 공격자가 훔친 리프레시로 받은 액세스 토큰'
    },
    expiry: {
      title: '액세스 토큰이 만료되고 클라이언트가 조용히 갱신함',
      claim: '수명이 짧은 액세스 토큰과 긴 리프레시 토큰: 액세스 토큰이 만료되면 클라이언트가 조용히 새것을 받습니다. 세션은 대신 미끄러집니다(sliding): 쓰는 동안 살고 쉬면 끝납니다.',
      seed: {
        source: 'JWT의 Access Token과 Refresh Token',
        quote: 'Access Token의 유효기간이 만료되었을 때, 새로운 Access Token을 발급받기 위해 사용 ⇒ 이를 통해 사용자는 다시 로그인 할 필요 없이 지속적으로 서비스를 사용할 수 있음'
      },
      needs: '짧은 수명 (JWT_ACCESS_TTL=4s, SESSION_IDLE_TTL=3s)',
      why: {
        session: '유휴 제한 시간은 활동할 때마다 연장되고, 쉬고 있는 세션을 끝냄 (여기서는 SESSION_IDLE_TTL=3s)',
        'jwt-none': 'token_expired → POST /jwt/refresh → 새 액세스 토큰, 다시 로그인하지 않음',
        'jwt-denylist': '모든 모드에서 같은 갱신 흐름',
        'jwt-version': '모든 모드에서 같은 갱신 흐름'
      },
      keepsWorking: 'alice가 계속 일합니다: 4.5초 동안 1초에 한 번 요청, 3초 유휴 제한보다 깁니다',
      allAccepted: '활동 중의 요청은 모두 받아들여짐 (유휴 타이머가 연장됨)',
      leavesIdle: '그다음 탭을 3.5초 동안 내버려 둡니다 (유휴 상태는 폴링할 수 없어 일부러 기다림)',
      idleDetail: '4.5초 활동: 200; 3.5초 유휴 뒤: 401 session_expired',
      expiredOnItsOwn: (detail: string) => `액세스 토큰이 저절로 만료됨 (${detail})`,
      refreshesQuietly: '클라이언트가 token_expired를 보고 alice에게 비밀번호를 묻지 않고 갱신합니다',
      rotated: '리프레시 토큰이 회전함 (쓴 토큰을 새 토큰이 대신함)',
      refreshedDetail: (s: string) => `${s}초 뒤 만료; 갱신 후 재시도: 200`
    },
    limit: {
      title: '동시 로그인 제한이 가장 오래된 기기를 밀어냄',
      claim: '세션을 보관하는 서버는 사용자당 로그인 수를 제한하고 가장 오래된 것을 끝낼 수 있습니다. JWT에서는 제한이 리프레시 패밀리에만 작용합니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Session을 사용할 경우 동시 Session 제어(접속 인원 제한), Session 만료 처리(강제 로그아웃) 등 보안상 이점, Stateful의 장점을 활용할 수 있다'
      },
      needs: 'MAX_SESSIONS_PER_USER=2',
      why: {
        session: '세 번째 로그인이 가장 오래된 세션 기록을 끝냄',
        'jwt-none': '가장 오래된 리프레시 패밀리가 끝남. 그 액세스 토큰은 exp까지 삶',
        'jwt-denylist': '가장 오래된 패밀리를 끝내면서 그 액세스 토큰도 거부함',
        'jwt-version': '패밀리를 끝내도 사용자 버전은 오르지 않음'
      },
      tabletLogsIn: '휴대폰과 노트북이 로그인되어 있습니다 (MAX_SESSIONS_PER_USER=2). 이제 태블릿이 로그인합니다',
      devicesLeft: (list: string) => `남은 기기: ${list}`,
      phoneRefused: (r: string) => `휴대폰의 리프레시 토큰은 거부됨 (${r})`
    },
    'scale-out': {
      title: '한 주소 뒤의 서버 인스턴스 둘: A에서 로그인하고 B를 호출',
      claim: '한 서버 메모리의 세션은 다른 서버에 없습니다. 확장에는 sticky session, 클러스터링, 또는 Redis 같은 공유 저장소가 필요하고, JWT는 키가 있는 곳이면 어디서나 검증됩니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'request마다 내가 접속한 서버가 달라질 수도 있다!! 이렇게 되어 버리면 session 정보가 없는 다른 서버에 접속할 때마다 계속 로그인해줘야 합니다. / sticky session, session clustering 과 같은 방안이 나왔지만 cost, 관리포인트가 추가적으로 발생한다.'
      },
      needs: '인스턴스 둘',
      whyShared: (store: string) => `두 인스턴스가 ${store}(와 서명 비밀)를 공유함`,
      why: {
        session: 'B의 메모리에는 A의 세션 기록이 없음',
        'jwt-none': 'B는 같은 비밀로 서명을 검증함. 다른 것은 필요 없음 (B에서의 갱신은 실패)',
        'jwt-denylist': 'B의 거부 목록은 비어 있어 토큰을 받아들임, A에서 로그아웃한 토큰이라도',
        'jwt-version': 'B는 자기 메모리 저장소에서 사용자를 찾는데, 그 사용자 id가 없음'
      },
      instances: (a: string, b: string, shared: string | null) => `인스턴스 A ${a}, 인스턴스 B ${b}, 같은 비밀, ${shared === null ? '각자의 메모리 저장소' : `${shared} 하나를 공유`}`,
      refreshOnB: (r: string, shared: string | null) => `B에서 갱신: ${r} (리프레시 패밀리는 ${shared === null ? 'A의 메모리' : `공유 ${shared}`}에 있음)`,
      bAnswers: (r: string) => `B의 응답 ${r}`
    },
    'redis-down': {
      title: 'Redis가 멈췄다가 돌아옴',
      claim: '저장소가 필요한 것은 저장소가 멈추면 실패하고, 무상태 JWT는 계속 검증됩니다. 서버는 닫힌 쪽으로 실패하고(503, 확인할 수 없는 200은 절대 없음) 스스로 회복해야 합니다.',
      seed: {
        source: 'JWT의 Access Token과 Refresh Token',
        quote: 'Redis | 빠른 읽기/쓰기 성능, 중앙 집중 관리, 세션 만료 기능 | 별도의 인프라 필요, 관리 복잡성 증가, 데이터 영속성 문제'
      },
      needs: '멈추고 다시 켤 자기 Redis',
      why: {
        session: '모든 요청에 세션 기록이 필요: Redis가 멈춘 동안 503',
        'jwt-none': '액세스 토큰은 저장소가 필요 없음. 갱신과 로그인은 필요함 (503)',
        'jwt-denylist': '거부 목록을 확인할 수 없으므로 토큰을 신뢰하지 않음: 503',
        'jwt-version': '버전을 확인할 수 없음: 503'
      },
      noRedisServer: 'redis-server가 설치되어 있지 않음: 건너뜀',
      noRedisDetail: 'redis-server 없음',
      ownRedis: (url: string, cached: boolean) => `이 이야기는 항상 Redis를 씁니다: 자기 전용 redis-server (${url}), 이 이야기가 멈추는 유일한 Redis${cached ? '. 서버는 AUTH_CACHE=on으로 실행' : ''}`,
      notOnPostgres: '--store postgres에서는 실행하지 않음: 이 이야기는 저장소를 멈추는데, 러너는 공유 PostgreSQL을 절대 멈추지 않고 자기 PostgreSQL을 띄우지도 않습니다. --store redis나 redis-cached로 실행하세요',
      notOnPostgresDetail: 'PostgreSQL에서는 실행하지 않음 (데이터베이스를 멈춰야 하므로)',
      stops: 'Redis가 멈춥니다 (먼저 스냅숏을 저장하므로 데이터가 돌아올 수 있음)',
      refreshNeedsStore: (r: string) => `갱신에는 저장소가 필요: ${r}`,
      loginNeedsStore: (r: string) => `로그인에는 저장소가 필요: ${r}`,
      starts: 'Redis가 다시 시작합니다. 서버가 스스로 다시 연결합니다 (/ready 폴링)',
      readyAgain: (s: string) => `${s}초 뒤 다시 준비됨`,
      refreshWorks: (status: number) => `갱신이 다시 동작 (${status})`,
      sameCredential: (status: number) => `회복 뒤 같은 자격 증명이 다시 동작 (${status})`,
      serverLogged: (errors: string) => `서버 로그: ${errors}`,
      failsClosed: (error: string) => `멈춘 동안 503 ${error}, 회복 뒤 200`,
      keepsWorking: '멈춘 동안에도 200 (저장소 불필요), 갱신은 503',
      cacheAnsweredWhileDown: (ops: string, ms: string | null) => `200, x-auth-store-ops ${ops}: 이 인스턴스가 Redis가 사라진 것을 알아채기 전에 AUTH_CACHE가 메모리에서 응답함. ${ms === null ? '멈춘 뒤 3초가 지나도 503이 아님' : `멈춘 뒤 ${ms}ms부터 503`}`,
      cacheAnsweredDetail: (ops: string, ms: string | null) => `Redis가 멈춘 직후 인스턴스가 알아채기 전 AUTH_CACHE가 200으로 응답 (저장소 조회 ${ops}회); ${ms === null ? '3초 안에 503 없음' : `멈춘 뒤 ${ms}ms부터 503`}`,
      whileDown: (r: string) => `멈춘 동안 ${r}`
    },
    // 이야기 12-17 (demo/stories/measured.ts): 로드 밸런서, 뚱뚱한 토큰, 시간에 따른 비용, 이름 변경, 브라우저 종료, 결론.
    'load-balancer': {
      title: '로드 밸런서 뒤에서: 라운드 로빈, sticky session, 공유 Redis, 캐시 모드',
      claim: '인스턴스마다 메모리 저장소를 쓰면 로그인은 한 인스턴스에만 있습니다. 라운드 로빈이면 다른 인스턴스에서 로그아웃되고, sticky session은 그 인스턴스가 죽을 때까지만 버팁니다. 공유 Redis 하나면 어느 인스턴스든 응답하고, AUTH_CACHE는 저장소 조회 0회를 유지하면서도 로그아웃을 즉시 듣습니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'sticky session, session clustering 과 같은 방안이 나왔지만 cost, 관리포인트가 추가적으로 발생한다. / sticky session은 처음 지정받은 서버만 사용할 수 있기 때문에 해당 서버가 터지거나 과부하가 걸려도 어찌할 도리가 없다.'
      },
      needs: '구성마다 자기 인스턴스 둘',
      why: {
        session: '기록이 한 인스턴스의 메모리에 있음: 공유 저장소(Redis)만이 어디서나 제공함',
        'jwt-none': '액세스 토큰은 비밀을 가진 어느 인스턴스에서나 검증됨. 갱신만 발급한 인스턴스(또는 저장소)가 필요함',
        'jwt-denylist': '토큰은 어디서나 검증되지만 메모리 거부 목록은 인스턴스마다 따로라서, 로그아웃은 공유 저장소를 거쳐야 모두에게 닿음',
        'jwt-version': '각 인스턴스가 자기 저장소에서 사용자 버전을 확인하는데, 다른 인스턴스의 사용자는 없음: 공유 저장소가 필요함'
      },
      roundRobin: (a: string, b: string) => `메모리 저장소를 쓰는 인스턴스 둘에 라운드 로빈, A ${a}, B ${b} (러너가 밸런서 역할: 로그인은 A로, 다음 요청은 B로. npm run cluster는 HAProxy로 같은 일을 함)`,
      refreshOnlyWhereIssued: (r: string) => `B를 거친 갱신: ${r} (리프레시 패밀리는 A의 메모리에 있음)`,
      sticky: 'sticky session: 이 브라우저의 모든 요청이 A로 갑니다 (밸런서의 쿠키가 고정함)',
      stickyWorks: 'A에 고정된 동안 모든 요청이 응답받음',
      kills: '인스턴스 A가 멈춥니다 (장애, 배포): 이제 밸런서는 브라우저를 B로만 보낼 수 있습니다',
      afterDeath: (r: string) => `A가 죽은 뒤 B의 응답 ${r}, 라운드 로빈 때 B가 한 응답과 같음`,
      refreshDied: (r: string) => `B를 거친 갱신: ${r} (패밀리는 A와 함께 사라짐)`,
      noRedis: '공유 저장소와 캐시 부분에 쓸 Redis가 없음: 건너뜀 (위 메시지 참고)',
      noRedisCached: '캐시 부분에 쓸 Redis가 없음: 건너뜀 (위 메시지 참고)',
      shared: (store: string) => `인스턴스 둘 뒤에 공유 ${store} 하나 (같은 키 접두사, 같은 비밀)`,
      sharedWorks: (r: string) => `A로 로그인했고, B의 응답 ${r}`,
      sharedRefresh: (r: string, store: string) => `B를 거친 갱신: ${r} (패밀리는 공유 ${store}에 있음)`,
      cached: '캐시 모드: 두 인스턴스 모두 STORE=redis AUTH_CACHE=on',
      cachedZero: (ops: string, none: boolean) => `B가 캐시에서 응답함: x-auth-store-ops ${ops}${none ? ' (jwt-none은 원래 아무것도 읽지 않음)' : ''}`,
      logoutOnA: 'alice가 A를 거쳐 로그아웃합니다. 다음 요청은 B로 갑니다',
      cachedAfterLogout: (r: string, immediate: boolean) => `B에서 즉시: ${r} (${immediate ? 'A가 로그아웃에 답하기 전에 Redis가 B의 캐시에 알림' : '이 모드는 로그아웃 뒤 exp까지만 약속함'})`,
      detailAny: (r: string, store: string) => `메모리 저장소, 라운드 로빈: B의 응답 ${r}; 공유 ${store}: 동작`,
      detailShared: (r: string, store: string) => `메모리 저장소, 라운드 로빈: B의 응답 ${r}; sticky: A가 죽으면 로그아웃; 공유 ${store}: 동작`
    },
    'fat-token': {
      title: '뚱뚱한 토큰: 클레임이 커지면 모든 요청이 그만큼 싣고 다님',
      claim: 'JWT는 모든 요청에 클레임을 싣습니다. 그룹 소속을 더하면 Authorization 헤더가 함께 커지고, 결국 쿠키(4096바이트)에 들어가지 않습니다. 세션 쿠키는 서버가 로그인에 대해 무엇을 알든 서명된 id 그대로입니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: '토큰 자체가 길이가 길고 항상 HTTP 요청에 포함되어야 하기 때문에 토큰이 커질수록 네트워크 부하가 심해진다. / 특히 모든 데이터가 토큰에 직접 인코딩되는 Stateless JWT 토큰을 사용할 경우 쿠키 또는 URL의 크기 제한을 금방 초과하게 된다.'
      },
      needs: '데모 전용 POST /jwt/demo/fat-token과 두 전략을 함께 올린 서버',
      why: {
        session: '쿠키에는 세션 id만 있고 클레임은 서버의 기록에 남음',
        'jwt-none': '모든 클레임이 토큰에 있고, 토큰은 모든 요청에 있음',
        'jwt-denylist': '모든 모드에서 같은 토큰: 폐기 방식은 크기를 바꾸지 않음',
        'jwt-version': '모든 모드에서 같은 토큰: 폐기 방식은 크기를 바꾸지 않음'
      },
      how: '데모 서버가 alice의 액세스 토큰을 지어낸 그룹 이름 N개를 넣어 다시 발급합니다 (POST /jwt/demo/fat-token, 데모 모드 전용). 각 행은 GET /api/me 한 번이고, 바이트는 회선에서 센 값입니다 (요청 줄과 헤더)',
      colGroups: '그룹 수',
      colToken: '토큰 바이트',
      colCookie: '쿠키에 들어가나?',
      colJwtRequest: 'JWT 요청 바이트',
      colSessionRequest: '세션 요청 바이트',
      colAnswer: 'JWT 응답',
      yes: '예',
      no: '아니오 (> 4096)',
      refusedAt: (groups: number, bytes: number, answer: string) => `그룹 ${groups}개에서 토큰은 ${bytes}바이트이고 이 서버는 거부함: ${answer} (bearer 토큰은 4096바이트까지 받음)`,
      neverRefused: '서버가 받는 크기를 넘은 토큰이 없음',
      jwtGrows: (first: number, last: number, perGroup: string) => `JWT 요청이 클레임과 함께 커짐: ${first} → ${last}바이트 (그룹당 ${perGroup}바이트)`,
      sessionSame: (bytes: number) => `세션 요청은 어느 크기에서나 ${bytes}바이트`,
      perMinute: (plain: number, fat: number, session: number) => `초당 한 번 요청하면 사용자는 1분에 기본 토큰으로 ${(plain * 60 / 1024).toFixed(1)}KiB, 그룹 50개로 ${(fat * 60 / 1024).toFixed(1)}KiB, 세션 쿠키로 ${(session * 60 / 1024).toFixed(1)}KiB를 보냄`,
      detailSession: (bytes: number) => `클레임 크기와 상관없이 요청당 ${bytes}바이트`,
      detailJwt: (first: number, last: number) => `요청당 ${first} → ${last}바이트`
    },
    'cost-over-time': {
      title: '시간에 따른 비용: 요청마다 저장소 조회, 또는 갱신 때만',
      claim: '세션은 요청마다 저장소를 읽고, 액세스 TTL이 짧은 JWT는 갱신할 때만 저장소를 씁니다. 요청당·갱신당 값을 여기서 재고, 사용자 한 명의 분당 저장소 명령 수로 곱해 봅니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: '세션을 사용하면 매번 요청이 올때마다 저장소를 조회하지만, 리프레시 토큰을 저장할 경우 엑세스 토큰이 만료될 때만 찌르기 때문에 같이 저장을 한다고 하더라도 이득이 있을 것같다.'
      },
      needs: '자기 전용 redis-server (Redis 명령 수를 셈)',
      why: {
        session: '요청마다 세션 기록을 읽음 (가끔 갱신 쓰기도)',
        'jwt-none': '요청은 아무것도 읽지 않고, 갱신(액세스 TTL마다)만 저장소를 씀',
        'jwt-denylist': '갱신 말고도 요청마다 거부 목록을 확인함',
        'jwt-version': '갱신 말고도 요청마다 사용자 버전을 읽음'
      },
      noRedis: 'redis-server 없음',
      own: (url: string) => `이 이야기 전용 redis-server (${url}): INFO commandstats에는 이 이야기의 명령만 잡힘 (자신의 INFO 호출과 캐시의 하트비트는 뺌)`,
      perRequest: (commands: string, header: string, n: number) => `요청당 (${n}번 측정): Redis 명령 ${commands}개, x-auth-store-ops는 왕복 ${header}회`,
      perRequestCached: (commands: string, header: string) => `AUTH_CACHE=on, 캐시가 찬 뒤: 요청당 명령 ${commands}개 (x-auth-store-ops ${header})`,
      headerAgrees: (commands: string, header: string) => `헤더와 Redis가 일치함 (${commands} = ${header})`,
      perRefresh: (n: string, breakdown: string) => `갱신(회전) 한 번에: Redis 명령 ${n}개 (${breakdown}; Lua 스크립트 안의 명령도 셈)`,
      perTouch: (n: string) => `갱신 쓰기(touch) 한 번에 (SESSION_ROLLING=true일 때 요청당 늘어난 만큼으로 측정): Redis 명령 ${n}개. 여기서는 많아야 1분에 한 번`,
      colRate: '요청 빈도',
      colTtl: (ttl: number) => `TTL ${ttl}분`,
      colTtlCached: (ttl: number) => `캐시, TTL ${ttl}분`,
      rate: (rate: number) => `초당 ${rate}회`,
      tableTitle: (strategy: string) => `활성 사용자 한 명의 분당 Redis 명령 수 (${strategy}):`,
      formulaSession: '세션: 60 × 빈도 × 요청당 명령 + 1분에 한 번 갱신 쓰기. TTL은 상관없음. 캐시: 요청마다가 아니라 1분에 한 번 다시 읽음 (AUTH_CACHE_TTL 60초)',
      formulaJwt: 'JWT: 60 × 빈도 × 요청당 명령 + 갱신당 명령 ÷ TTL(분). 캐시: 요청마다가 아니라 1분에 한 번 다시 읽음 (AUTH_CACHE_TTL 60초; none은 읽을 것이 없음)',
      scalesWithRate: (at1: string, at10: string) => `비용이 요청 빈도를 따라감: 초당 1회 ${at1}, 초당 10회 ${at10}`,
      flatInRate: (x: string) => `비용이 요청 빈도와 무관함: 초당 1회든 10회든 분당 ${x}`,
      detailPerRequest: (perRequest: string, at10: string) => `요청당 ${perRequest}: 초당 10회면 분당 ${at10}`,
      detailPerRefresh: (perRefresh: string, perMinute: string) => `갱신당 ${perRefresh}: TTL 5분이면 빈도와 상관없이 분당 ${perMinute}`
    },
    rename: {
      title: '관리자가 사용자 이름을 바꿈: 역할 말고도 오래되는 클레임',
      claim: '토큰 속 사본은 역할만이 아닙니다. 사용자 이름(과 토큰이 담은 다른 모든 것)은 갱신될 때까지 발급 당시 그대로입니다. 이름 변경은 어떤 로그인도 끝내지 않으므로 어떤 폐기 방식도 토큰을 거부하지 않고, 세션은 기록에서 새 이름을 읽습니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: '오래된 정보의 저장 / 이것은 토큰이 그들의 프로필에서 누군가가 바뀐 오래된 웹사이트 URL과 같은 오래된 정보를 포함하고 있다는 것을 의미한다.'
      },
      needs: '이 서버 버전의 관리자 이름 변경 경로',
      why: {
        session: '이름 변경이 사용자의 모든 세션 기록에서 사용자 이름을 고쳐 씀',
        'jwt-none': 'preferred_username은 발급 시점의 사본이고, 갱신으로 새 토큰을 받을 때까지 그대로',
        'jwt-denylist': '이름 변경은 폐기가 아님: 거부되는 것은 없고 클레임만 오래된 것',
        'jwt-version': '이름 변경은 버전을 올리지 않으므로(아무것도 끝내지 않음) 예전 토큰이 예전 이름으로 통과함'
      },
      before: (name: string) => `변경 전: /api/me는 ${name}`,
      renames: (name: string) => `관리자가 alice의 이름을 ${name}(으)로 바꿉니다 (POST /admin/users/alice/username)`,
      noVersionBump: (before: number, after: number) => `이름 변경은 버전을 올리지 않음 (토큰 ver ${before}, 사용자 버전 ${after})`,
      newNameLogsIn: (status: number) => `새 이름과 같은 비밀번호로 로그인됨 (${status})`,
      sessionAtOnce: (name: string) => `바로 다음 요청이 ${name}`,
      sessionStale: (what: string) => `세션은 여전히 ${what}`,
      refreshes: '클라이언트가 갱신합니다 (액세스 토큰이 만료되면 하듯이)',
      refreshBringsName: (name: string) => `갱신 뒤 /api/me는 ${name}`,
      tokenStale: (s: string) => `${s}초 동안 예전 이름, 갱신 뒤 새 이름`
    },
    'browser-close': {
      title: '브라우저를 닫으면: 세션 쿠키와 영속 쿠키',
      claim: 'Max-Age나 Expires가 없는 쿠키는 브라우저 메모리에만 있어 브라우저를 닫으면 사라지고, 있는 쿠키는 재시작 뒤에도 남습니다. 세션 쿠키는 SESSION_COOKIE_PERSISTENT가 정하고, JWT 리프레시 쿠키는 영속 쿠키입니다. 브라우저를 닫는 것은 로그아웃이 아닙니다: 서버는 유휴 제한까지 기록을 보관합니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'Session Cookie: 메모리에만 저장되며, 만료시간이 있지만 브라우저 종료시 삭제되는 쿠키 / Persistent Cookie: 파일로 저장되며, Max-Age 설정을 통해 장기간 유지 가능하고 브라우저 종료와 관계없이 사용 가능한 쿠키'
      },
      needs: 'SESSION_COOKIE_PERSISTENT=false인 서버',
      why: {
        session: '설정이 정함: 기본인 영속 쿠키는 살아남고, SESSION_COOKIE_PERSISTENT=false면 브라우저와 함께 끝남',
        'jwt-none': '페이지 메모리의 액세스 토큰은 사라지지만 리프레시 쿠키에 Max-Age가 있음: 한 번 갱신하면 로그인이 돌아옴',
        'jwt-denylist': '모든 모드에서 같은 리프레시 쿠키',
        'jwt-version': '모든 모드에서 같은 리프레시 쿠키'
      },
      restarts: (dropped: string) => `브라우저가 다시 시작합니다: Max-Age나 Expires가 없는 쿠키(${dropped})와 페이지가 메모리에 둔 모든 것이 사라집니다`,
      nothingDropped: '버린 쿠키 없음',
      jwtHolds: '리프레시 쿠키에는 Max-Age가 붙어 왔고, 액세스 토큰은 페이지 메모리에 있습니다',
      accessGone: (r: string) => `액세스 토큰 없이 /api/me의 응답 ${r}`,
      jwtBack: '액세스 토큰은 페이지와 함께 사라졌고, 영속 리프레시 쿠키가 로그인을 되살림',
      twoServers: '세션 서버 둘: 노트북은 기본값(SESSION_COOKIE_PERSISTENT=true), 휴대폰은 SESSION_COOKIE_PERSISTENT=false. Set-Cookie 속성을 비교해 보세요',
      persistentSurvives: (r: string) => `영속 쿠키는 재시작 뒤에도 남음: ${r}`,
      sessionCookieGone: (r: string) => `브라우저 세션 쿠키는 사라짐: ${r}`,
      notALogout: '재시작 전에 떠 둔 브라우저 세션 쿠키의 사본(악성 코드, 동기화된 프로필)은 여전히 동작합니다: 브라우저를 닫아도 서버에서는 아무것도 끝나지 않았습니다',
      recordStays: (r: string) => `사본: ${r}`,
      sessionDetail: '영속: 재시작 뒤 200; SESSION_COOKIE_PERSISTENT=false: 로그아웃됨'
    },
    verdict: {
      title: 'JWT는 나쁜 기본값인가? 수치를 나란히',
      claim: '노트는 비판으로 끝납니다: JWT를 기본값으로 삼지 말라. 여기 이 프로젝트가 한 서버에서 지금 잰 방식별 수치를, 비판과 그 반론과 함께 놓습니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'bolierplate의 템플릿에 넣지말고, 기본 값으로 JWT를 채택해서는 안된다.'
      },
      needs: '모든 방식을 올린 데모 서버',
      why: {
        session: '로그아웃이 기록을 지움: 사본은 즉시 거부됨',
        'jwt-none': '서버의 어떤 것도 로그아웃을 모름: 사본은 exp까지 동작함',
        'jwt-denylist': '로그아웃이 토큰을 거부 목록에 올림: 요청당 저장소 조회 1회로 사본은 즉시 거부됨',
        'jwt-version': '로그아웃은 버전을 올리지 않음: 사본은 exp까지 동작함'
      },
      oneServer: '데모 서버 하나가 모든 방식을 올립니다 (/session, JWT_REVOCATION=none인 /jwt, /jwt-denylist, /jwt-version). alice가 각각에 로그인해 /api/me를 한 번 부르고, 서버가 보관하는 것을 보고, 로그아웃한 뒤 그 전에 떠 둔 사본을 다시 보냅니다',
      colMechanism: '방식',
      colBytes: '요청 바이트',
      colStoreOps: '요청당 저장소 조회',
      colKeeps: '서버 보관(바이트)',
      colWindow: '로그아웃 뒤 사본',
      colClient: '클라이언트 줄 수',
      never: '거부되지 않음',
      atOnce: (endedBy: string) => `즉시 거부 (${endedBy})`,
      seconds: (s: number, endedBy: string) => `${s}초 더 (${endedBy})`,
      tableTitle: '지금 잰 값 (여기서 액세스 토큰 수명은 4초, 서버 기본값은 15분):',
      notes: (methods: string) => `요청 바이트: 회선 위의 GET /api/me; 서버 보관: 조회 화면이 보여 주는 키 이름과 값 (비밀은 가려서 몇 바이트 오차); 클라이언트 줄 수: 러너 자신의 JWT 전용 클라이언트 코드 (demo/story.ts의 Actor.${methods}), 브라우저가 어떤 쿠키에나 해 주는 일을 뺀 것`,
      noBench: '요청당 CPU: bench/results/latest.json이 없어서 인용하지 않음 (npm run bench가 만듦)',
      bench: (when: string, commit: string, rows: string) => `bench/results/latest.json의 요청당 CPU (${when}, 커밋 ${commit}): ${rows}`,
      critiqueTag: '비판:',
      critique: [
        'bolierplate의 템플릿에 넣지말고, 기본 값으로 JWT를 채택해서는 안된다.',
        'JWT는 클라이언트와 서버 양쪽에서 세션 관리를 직접 수행해야 한다. 하지만, 표준 세션 쿠키는 서버에서만 세션을 관리해도 잘 사용할 수 있다.',
        '특히 모든 데이터가 토큰에 직접 인코딩되는 Stateless JWT 토큰을 사용할 경우 쿠키 또는 URL의 크기 제한을 금방 초과하게 된다.',
        '서버가 원할 때마다 무효화할 수 있는 세션과 달리 개별 Stateless JWT 토큰은 무효화할 수 없다.'
      ],
      counterTag: '반론:',
      counter: [
        '사용자 인증에 필요한 모든 정보는 토큰 자체에 포함하기 때문에 세션방식과 다르게 정보를 담는 메모리를 차지 하지 않아 Stateless 서버를 구축할 수 있다. / 수평확장이 매우 쉬움 — Session Cluster 필요 없음 / 다만, 구현 방식에 따라 AccessToken을 만료시키거나 RefreshToken 등과 같은 방법을 추가한다면 추가적인 저장소가 필요하다(Redis 등)',
        '세션을 사용하면 매번 요청이 올때마다 저장소를 조회하지만, 리프레시 토큰을 저장할 경우 엑세스 토큰이 만료될 때만 찌르기 때문에 같이 저장을 한다고 하더라도 이득이 있을 것같다.',
        '외부 인증 시스템 Token을 이용한 접근이 가능하다. / 모바일 어플리케이션 환경에 적합하다.'
      ],
      evidence: (session: number, jwt: number) => `위의 근거: 세션 요청은 ${session}바이트, JWT 요청은 ${jwt}바이트. 요청마다 저장소를 읽지 않는 것은 jwt-none뿐이고, 로그아웃한 사본이 exp까지 동작하는 것은 jwt-none과 jwt-version뿐입니다. JWT를 세션처럼 만드는 폐기는 세션과 같은 요청당 저장소 조회를 치르고(cost-over-time 이야기), AUTH_CACHE는 둘 모두에서 그 조회를 없앱니다`,
      sessionSmaller: (session: number, jwt: number) => `세션 요청이 더 작음 (${session} < ${jwt}바이트)`,
      noneNoStore: (ops: string) => `jwt-none은 요청마다 저장소를 읽지 않음 (${ops})`,
      ownNever: '사본이 한 번도 거부되지 않음',
      ownAtOnce: (endedBy: string) => `사본은 즉시 거부됨: ${endedBy}`,
      ownUntil: (s: number, endedBy: string) => `사본이 ${s}초 더 동작한 뒤 ${endedBy}`
    },
    // 보안 이야기 (demo/stories/): 토큰을 어디에 두는가, CSRF 방어를 끄고 켰을 때, 새 주소에서 온 갱신.
    'token-storage': {
      title: '클라이언트는 토큰을 어디에 두는가: XSS가 읽을 수 있는 것',
      claim: '페이지에 주입된 스크립트(XSS)는 localStorage나 페이지 메모리에 있는 것은 무엇이든 읽습니다. HttpOnly 쿠키는 읽지 못하지만, 그 스크립트가 보내는 같은 출처 요청에는 쿠키가 함께 실립니다.',
      seed: {
        source: 'Session vs Cookie vs JWT',
        quote: 'XSS (사이트 간 악성 Js 코드를 심는 행위)로부터 안전 - 서버에서 쿠키의 httpOnly 옵션을 설정하면, Js에서 쿠키에 접근 자체가 불가능'
      },
      why: {
        session: '세션 id는 HttpOnly 쿠키: 읽을 수는 없지만 주입된 스크립트가 보내는 요청에도 실려 감',
        'jwt-none': '액세스 토큰이 페이지 메모리(와 이 실험실의 localStorage)에 있음: 스크립트가 읽어서 어디서든 다시 보낼 수 있음',
        'jwt-denylist': '모든 모드에서 같음: 무효화 방식이 아니라 토큰을 두는 곳이 결과를 정함',
        'jwt-version': '모든 모드에서 같음: 무효화 방식이 아니라 토큰을 두는 곳이 결과를 정함'
      },
      noChromium: (path: string) => `${path}에 Chromium이 없음 (apt-get install chromium 또는 CHROMIUM_PATH 설정): 이 이야기는 실제 브라우저가 필요해 건너뜀`,
      noChromiumDetail: 'Chromium 없음',
      opens: (url: string) => `실제 브라우저(Chromium, 서버의 엄격한 CSP 적용)가 데모 전용 XSS 실험실 ${url}을 엽니다. 실험실은 /xss-lab-injected.js를 일부러 불러옵니다: 공격자가 주입한 스크립트 역할입니다`,
      strictCsp: (csp: string) => `실험실은 엄격한 CSP로 제공됨 (${csp}): 인라인 스크립트가 막히므로 "주입된" 스크립트는 파일임`,
      appLoggedIn: (mount: string, status: string) => `실험실 앱이 ${mount}에 alice로 로그인하고 GET ${mount}/api/me를 호출 → ${status}`,
      localStorage: (list: string) => `주입된 스크립트가 localStorage에서 읽은 것: ${list}`,
      memory: (list: string) => `주입된 스크립트가 페이지 메모리에서 읽은 것 (앱보다 먼저 fetch를 감쌌음): ${list}`,
      documentCookie: (value: string) => `주입된 스크립트가 document.cookie에서 읽은 것: ${value}`,
      nothing: '없음',
      empty: '"" (비어 있음)',
      names: (user: string) => `${user}의 토큰`,
      browserHolds: (list: string) => `이 사이트에 대해 브라우저가 가진 쿠키: ${list}`,
      httpOnlyUnreadable: (names: string) => `HttpOnly 쿠키 ${names}는 document.cookie에 한 번도 나타나지 않음`,
      ride: (request: string, status: number, gotToken: boolean) => `주입된 스크립트가 쿠키에 올라탐: ${request} → ${status}${gotToken ? ', 응답에 읽을 수 있는 새 액세스 토큰까지 들어 있음' : ''}`,
      replays: (status: number) => `읽어 낸 토큰을 쿠키 없이 (공격자의 컴퓨터에서처럼) 보냄: GET /api/me → ${status}`,
      noProblems: (list: string) => `CSP 위반이나 페이지 오류 없음${list === '' ? '' : `: ${list}`}`,
      ridden: (list: string) => `스크립트가 도는 동안에는 alice로서 행동할 수 있음: ${list}`,
      tokenReadDetail: (fromStorage: boolean, fromMemory: boolean, status: number) => `${[fromStorage ? 'localStorage' : '', fromMemory ? '페이지 메모리' : ''].filter(x => x !== '').join('와 ')}에서 토큰을 읽음. 다른 곳에서 다시 보내도 ${status}`,
      riddenDetail: (list: string) => `읽을 수 있는 것은 없음. 쿠키에 올라탐: ${list}`,
      nothingWorked: '읽은 것도, 올라탄 것도 없음'
    },
    csrf: {
      title: 'CSRF: 다른 사이트의 폼, 방어를 끄고 켰을 때',
      claim: '쿠키는 브라우저가 보내는 곳이면 어디든 따라갑니다. 다른 사이트가 제출한 폼이어도 마찬가지입니다. SameSite, Origin 확인, JSON 전용 본문이 각각 이를 막고, 페이지 메모리의 Bearer 토큰은 폼이 보낼 수 없습니다.',
      seed: {
        source: 'JWT의 Access Token과 Refresh Token',
        quote: 'HttpOnly 쿠키는 클라이언트 스크립트에서 접근할 수 없으므로 XSS 공격으로부터 보호 / 하지만 LocalStorage나 SessionStorage에 비해 안전한 거지, HttpOnly 쿠키도 CSRF 공격에 취약'
      },
      needs: 'DEMO_UNSAFE_CSRF=true로 띄운 서버',
      why: {
        session: 'SameSite=None, Origin 확인 없음, 폼 본문 허용이면 폼이 alice로서 행동함. 프로젝트 설정에서는 거부됨',
        'jwt-none': '액세스 토큰은 폼이 보낼 수 없는 페이지 메모리에 있음. 리프레시 쿠키는 SameSite=Strict, Path=/jwt',
        'jwt-denylist': 'jwt-none과 같음: 폼에는 Bearer 토큰이 실리지 않음',
        'jwt-version': 'jwt-none과 같음: 폼에는 Bearer 토큰이 실리지 않음'
      },
      sites: (origin: string) => `공격자의 사이트는 ${origin}: 127.0.0.1과 호스트가 달라서 다른 사이트입니다. 그 페이지에는 폼이 두 개 있습니다: 메모 쓰기와 로그아웃`,
      unsafeSetting: '먼저 DEMO_UNSAFE_CSRF=true 서버(루프백의 데모 모드에서만 가능): 세션 쿠키 SameSite=None, Origin 확인 없음, 폼 본문 해석',
      projectSetting: '이제 프로젝트의 설정으로 똑같이 해 봅니다',
      unsafeVisit: (origin: string) => `로그인한 alice가 ${origin}을 엽니다. 그 페이지의 폼이 API로 전송됩니다 (방어 꺼짐)`,
      safeVisit: (origin: string) => `로그인한 alice가 ${origin}을 엽니다. 그 페이지의 폼이 API로 전송됩니다 (프로젝트 설정)`,
      cookies: (attached: string, withheld: string) => `브라우저가 붙이는 쿠키: ${attached} / 붙이지 않는 쿠키: ${withheld}`,
      none: '없음',
      fromSite: (origin: string) => `(${origin}의 폼)`,
      forged: (path: string, status: number) => `위조 성공: alice가 아무것도 하지 않았는데 ${path}가 ${status}로 응답`,
      harmless: (path: string, status: number) => `${path}가 ${status}로 응답했지만 자격 증명이 실려 오지 않아 아무 일도 없음`,
      refused: (path: string, r: string, layers: string) => `거부됨: ${path} → ${r} (막은 것: ${layers})`,
      layerSameSite: 'SameSite: 브라우저가 쿠키를 보내지 않음',
      layerOrigin: 'Origin/Sec-Fetch-Site 확인',
      layerContentType: 'JSON 전용 본문 규칙',
      layerNoBearer: 'Bearer 토큰 없음: 폼은 Authorization 헤더를 넣을 수 없음',
      refreshStillWorks: (status: number) => `alice의 갱신은 여전히 동작 (${status}): 폼이 로그인에 손대지 못함`,
      ifSameSite: (origin: string) => `방어층을 하나씩: 같은 페이지를 ${origin}, 곧 API 호스트의 다른 포트에서 엽니다. 포트가 달라도 같은 사이트이므로 브라우저는 Strict 쿠키까지 모두 붙입니다 (Chromium에서 측정)`,
      originLayer: (r: string) => `Origin 확인이 거부함 (${r})`,
      ifNoOrigin: '그리고 그 요청에 Origin도 Sec-Fetch-Site도 없었다면 (폼을 그렇게 보내는 브라우저는 없음)?',
      realChromium: '참고: 러너의 브라우저는 이 SameSite=None 쿠키를 보관하지만, 실제 Chromium은 Secure 없는 SameSite=None 쿠키를 버립니다 (측정함). 방어를 끈 설정은 브라우저가 아니라 규칙을 보여 줍니다',
      contentTypeLayer: (r: string) => `JSON 전용 본문 규칙이 거부함 (${r})`,
      detail: (unsafeStatus: number, unsafeStillIn: boolean, safeStatus: number, safeStillIn: boolean) =>
        `방어 꺼짐: 메모 ${unsafeStatus}, alice ${unsafeStillIn ? '로그인 유지' : '로그아웃됨'} / 프로젝트 설정: 메모 ${safeStatus}, alice ${safeStillIn ? '로그인 유지' : '로그아웃됨'}`
    },
    'new-device': {
      title: '막지 말고 표시하기: 훔친 리프레시 토큰을 다른 주소에서 사용',
      claim: '새 IP나 기기에서 온 갱신을 거부하면 네트워크가 바뀌는 휴대폰은 모두 로그아웃됩니다. 서버는 대신 그 사실을 기록하고, 기기 목록이 로그인의 주인에게 표시를 보여 주어 직접 조치할 수 있게 합니다.',
      seed: {
        source: 'JWT의 Access Token과 Refresh Token',
        quote: 'Refresh Token 요청 시 사용자의 IP 주소나 기기를 확인하여 이상 활동을 감지하면 토큰을 무효화'
      },
      why: {
        session: '세션 쿠키는 갱신되지 않고 그대로 재사용되며, 세션 요청은 표시를 남길 쓰기를 하지 않음',
        'jwt-none': '203.0.113.66에서 온 갱신이 그 로그인에 기록되고 (추가 저장소 왕복 없음) 기기 목록에 표시됨',
        'jwt-denylist': '모든 모드에서 같음: 표시는 리프레시 패밀리에 저장됨',
        'jwt-version': '모든 모드에서 같음: 표시는 리프레시 패밀리에 저장됨'
      },
      stealsRefresh: 'alice의 컴퓨터에 있는 악성 코드가 리프레시 쿠키를 공격자에게 복사합니다 (데모의 탈취 도구)',
      stealsCookie: 'alice의 컴퓨터에 있는 악성 코드가 세션 쿠키를 공격자에게 복사합니다 (데모의 탈취 도구)',
      attackerRefreshes: '공격자가 자기 컴퓨터(203.0.113.66, attacker-laptop/1.0)에서 그 토큰으로 갱신합니다',
      attackerCalls: '공격자가 자기 컴퓨터(203.0.113.66, attacker-laptop/1.0)에서 그 쿠키를 다시 보냅니다',
      notBlocked: (r: string) => `막지 않음: ${r} (막는다면 새 네트워크에 붙은 휴대폰도 똑같이 거부됨)`,
      victimLooks: '나중에 alice가 자기 기기 목록을 엽니다',
      device: (ua: string, ip: string, flags: string) => `${ip}의 로그인 ${ua}: ${flags === '' ? '표시 없음' : `표시됨: ${flags}`}`,
      nothingToSee: 'alice에게 알려 주는 것이 없습니다. 그래도 alice가 로그인을 끝냅니다 (그것이 사본에 어떤 영향을 주는지 확인)',
      endsIt: 'alice는 203.0.113.66을 모르는 주소로 보고 그 로그인을 끝냅니다',
      ended: (status: number) => `로그인이 끝남 (${status})`,
      attackerOut: (status: number) => `공격자의 사본도 더는 동작하지 않음 (${status})`,
      notFlaggedDetail: (status: number) => `재사용 ${status}. 기기 목록에는 표시 없음`,
      flaggedDetail: (status: number, ip: string) => `갱신 ${status}. 기기 목록에 new_address ${ip} 표시`
    }
  }
}
