/** The security stories (18–20): where the client keeps the token, CSRF off and on, a refresh from a new address. */
import type { Scenario } from '../scenarios.js'
import { csrf } from './csrf.js'
import { newDevice } from './new-device.js'
import { tokenStorage } from './token-storage.js'

export const SECURITY_STORIES: readonly Scenario[] = [tokenStorage, csrf, newDevice]
