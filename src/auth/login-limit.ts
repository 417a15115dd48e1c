/** Picks the logins to end so that at most `limit` remain, oldest first; 0 means no limit. */
export function loginsOverLimit<T extends { createdAt: number }> (logins: readonly T[], limit: number): T[] {
  if (limit === 0 || logins.length <= limit) return []
  return [...logins].sort((a, b) => a.createdAt - b.createdAt).slice(0, logins.length - limit)
}
