/** One parsed Set-Cookie header: name, value and attributes (names lower-cased, flags as `true`). */
export interface SetCookie {
  name: string
  value: string
  attributes: Record<string, string | true>
}

export function parseSetCookie (header: string): SetCookie {
  const [pair = '', ...attrs] = header.split(';').map(s => s.trim())
  const eq = pair.indexOf('=')
  const attributes: Record<string, string | true> = {}
  for (const attr of attrs) {
    const i = attr.indexOf('=')
    if (i === -1) attributes[attr.toLowerCase()] = true
    else attributes[attr.slice(0, i).toLowerCase()] = attr.slice(i + 1)
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}
