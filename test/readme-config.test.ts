import { readFileSync } from 'node:fs'
import t from 'tap'
import { OPTIONS } from '../src/config/config.js'

/**
 * README.md's configuration table is written by hand; the options are the source of truth. Rows are
 * `| \`ENV\` | default | meaning |` under `## Configuration`, in OPTIONS order, with the default exactly
 * as `--help` prints it ('' as `none`).
 */
function readmeRows (markdown: string): Array<{ env: string, default: string }> {
  const start = markdown.search(/^## Configuration\s*$/m)
  if (start < 0) return []
  const rest = markdown.slice(start)
  const next = rest.slice(1).search(/^## /m)
  const section = next < 0 ? rest : rest.slice(0, next + 1)
  const rows: Array<{ env: string, default: string }> = []
  for (const line of section.split('\n')) {
    const row = /^\| `([A-Z_]+)` \| ([^|]*) \| (.*) \|$/.exec(line.trim())
    if (row !== null) rows.push({ env: row[1] as string, default: (row[2] as string).trim() })
  }
  return rows
}

t.test('README.md configuration table: the same settings, order and defaults as --help', async t => {
  const rows = readmeRows(readFileSync('README.md', 'utf8'))
  t.ok(rows.length > 0, 'README.md has a configuration table under ## Configuration')
  t.same(rows.map(r => r.env), OPTIONS.map(o => o.env), 'every option, in --help order, and nothing else')
  const printed = new Map(OPTIONS.map(o => [o.env, o.default === '' ? 'none' : o.default]))
  for (const row of rows) {
    if (printed.has(row.env)) t.equal(row.default, printed.get(row.env), `${row.env}: the default --help prints`)
  }
})
