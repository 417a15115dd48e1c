/**
 * peer-express-session-redis: express + express-session + connect-redis over ioredis, as
 * connect-redis's README sets it up (resave false, saveUninitialized false) and otherwise at the
 * defaults: an unchanged session is not written back but touched (connect-redis resets its TTL with
 * EXPIRE on each request), rolling false. `cookie.secure` stays false (express-session's default),
 * which the bench needs anyway: it talks plain http on loopback. Keys go under KEY_PREFIX.
 */
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { Redis } from 'ioredis'
import { checkLogin, me, peerSettings, requireRedis } from './users.js'

const settings = peerSettings()
const client = new Redis(requireRedis(settings))
const app = express()

app.get('/ready', (_req, res) => { res.json({ ok: true }) })

const sessions = session({
  store: new RedisStore({ client, prefix: settings.keyPrefix }),
  resave: false,
  saveUninitialized: false,
  secret: 'peer-express-session-secret-of-32-characters-or-more',
  cookie: { secure: false }
})

app.post('/login', express.json(), sessions, (req, res) => {
  const user = checkLogin(settings, req.body)
  if (user === null) {
    res.status(401).json({ error: 'invalid credentials' })
    return
  }
  req.session.peerUser = me(user)
  res.json({ ok: true })
})

app.get('/api/me', sessions, (req, res) => {
  const user = req.session.peerUser
  if (user === undefined) {
    res.status(401).json({ error: 'not logged in' })
    return
  }
  res.json(me(user))
})

app.listen(settings.port, '127.0.0.1')
