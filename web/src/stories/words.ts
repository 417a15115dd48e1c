/**
 * The player's own words (its controls and the lines the runner has no string for), in English and
 * Korean. A story's title, claim, seed passage, why per strategy and outcome labels come from the
 * runner's tables through /story-words.json (tools/story-words.ts); only what the runner does not
 * say lives here.
 */
import type { Lang } from './types.js'

const en = {
  heading: 'Stories, step by step',
  intro: 'Pick one of the runner\'s stories and play it against this server\'s mounts, one request at a time. Next runs the next step; Back shows an earlier step again (requests are not undone).',
  story: 'Story',
  modes: 'Mode',
  allModes: 'all modes side by side',
  start: 'Start',
  restart: 'Start again',
  next: 'Next',
  back: 'Back',
  stepOf: (n: number, total: number) => `Step ${n} of ${total}`,
  notStarted: 'Press Start: the story begins with POST /demo/reset.',
  running: 'Running…',
  done: 'The story is over: the verdict per mode is below.',
  wordsMissing: 'The story words (/story-words.json) are missing: run npm run build.',
  noStories: 'None of the stories can run on this server\'s mounts.',
  request: 'Request',
  response: 'Response',
  holds: 'Client holds',
  keeps: 'Server keeps',
  wire: 'Bytes on the wire',
  checks: 'Checks',
  verdict: 'Expected vs observed',
  summary: 'Verdict per mode',
  why: 'why',
  mode: 'mode',
  storeOps: 'store ops',
  replayedAs: 'the server replays it as the attacker (from 203.0.113.66):',
  wireLine: (req: number, reqHead: number, reqBody: number, res: number, resHead: number, resBody: number) =>
    `request ${req} B (headers ${reqHead} + body ${reqBody}) · response ${res} B (headers ${resHead} + body ${resBody})`,
  wireNote: 'HTTP/1.1 as written: request line, Host, Origin, Cookie and the headers the page set, plus the body; status line, response headers and Set-Cookie (its size from x-demo-set-cookie), plus the body. Headers the browser adds by itself (User-Agent, Accept…) are not counted. With all modes side by side, the session cookie (Path=/) travels to the JWT mounts too.',
  cookie: (name: string, chars: number, attributes: string) => `cookie ${name} (${chars} chars, HttpOnly: script cannot read it) · ${attributes}`,
  token: (bytes: number) => `access token in this page's memory (${bytes} bytes, readable by any script here)`,
  expIn: (s: number) => s > 0 ? `exp in ${s} s` : `expired ${-s} s ago`,
  holdsNothing: 'nothing (no cookie, no token)',
  attackerHolds: 'the attacker holds:',
  keepsNothing: 'nothing stored for this credential',
  inspectFailed: (s: string) => `inspection unavailable: ${s}`,
  expiresIn: (s: number) => ` (expires in ${s} s)`,
  ok: '✔',
  bad: '✘',
  expectedShort: 'expected',
  observedShort: 'observed',
  notApplicable: '—',
  shared: 'once, for every mode',
  actors: { aliceBrowser: 'alice\'s browser', attacker: 'attacker', admin: 'admin', page: 'this page' } as Record<string, string>
}

export type UiWords = typeof en

const ko: UiWords = {
  heading: '이야기를 한 단계씩',
  intro: '러너의 이야기 하나를 골라 이 서버의 마운트에 대고 요청 하나씩 재생합니다. 다음은 다음 단계를 실행하고, 이전은 앞 단계를 다시 보여 줍니다 (요청을 되돌리지는 않습니다).',
  story: '이야기',
  modes: '모드',
  allModes: '모든 모드 나란히',
  start: '시작',
  restart: '처음부터',
  next: '다음',
  back: '이전',
  stepOf: (n: number, total: number) => `${total}단계 중 ${n}단계`,
  notStarted: '시작을 누르세요. 이야기는 POST /demo/reset으로 시작합니다.',
  running: '실행 중…',
  done: '이야기가 끝났습니다. 모드별 판정은 아래에 있습니다.',
  wordsMissing: '이야기 문구(/story-words.json)가 없습니다. npm run build를 실행하세요.',
  noStories: '이 서버의 마운트에서 재생할 수 있는 이야기가 없습니다.',
  request: '요청',
  response: '응답',
  holds: '클라이언트가 가진 것',
  keeps: '서버가 보관하는 것',
  wire: '전송 바이트',
  checks: '확인',
  verdict: '예상과 관찰',
  summary: '모드별 판정',
  why: '이유',
  mode: '모드',
  storeOps: '저장소 조회',
  replayedAs: '서버가 공격자로서 재전송 (203.0.113.66에서):',
  wireLine: (req: number, reqHead: number, reqBody: number, res: number, resHead: number, resBody: number) =>
    `요청 ${req}B (헤더 ${reqHead} + 본문 ${reqBody}) · 응답 ${res}B (헤더 ${resHead} + 본문 ${resBody})`,
  wireNote: 'HTTP/1.1로 쓴 크기입니다. 요청은 요청 줄, Host, Origin, Cookie, 페이지가 넣은 헤더와 본문, 응답은 상태 줄, 응답 헤더, Set-Cookie(크기는 x-demo-set-cookie에서 계산)와 본문입니다. 브라우저가 스스로 붙이는 헤더(User-Agent, Accept 등)는 세지 않습니다. 모든 모드를 나란히 재생하면 세션 쿠키(Path=/)가 JWT 마운트로도 함께 갑니다.',
  cookie: (name: string, chars: number, attributes: string) => `쿠키 ${name} (${chars}자, HttpOnly라 스크립트가 읽을 수 없음) · ${attributes}`,
  token: (bytes: number) => `이 페이지 메모리에 있는 액세스 토큰 (${bytes}바이트, 이 페이지의 어떤 스크립트든 읽을 수 있음)`,
  expIn: (s: number) => s > 0 ? `exp까지 ${s}초` : `${-s}초 전에 만료`,
  holdsNothing: '아무것도 없음 (쿠키도 토큰도 없음)',
  attackerHolds: '공격자가 가진 것:',
  keepsNothing: '이 자격 증명에 대해 저장된 것이 없음',
  inspectFailed: (s: string) => `조회 불가: ${s}`,
  expiresIn: (s: number) => ` (${s}초 뒤 만료)`,
  ok: '✔',
  bad: '✘',
  expectedShort: '예상',
  observedShort: '관찰',
  notApplicable: '—',
  shared: '한 번, 모든 모드에 대해',
  actors: { aliceBrowser: 'alice의 브라우저', attacker: '공격자', admin: '관리자', page: '이 페이지' }
}

export const UI: Record<Lang, UiWords> = { en, ko }
