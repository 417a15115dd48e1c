/** Moved to harness/set-cookie.ts; kept so that imports written against this path keep working. */
export * from '../harness/set-cookie.js'
