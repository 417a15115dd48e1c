/**
 * peer-express-jwt: express + jsonwebtoken 9, `jwt.sign` / `jwt.verify` with a string secret as most
 * tutorials write it. With a string secret, jsonwebtoken 9's verify first tries crypto.createPublicKey
 * on it, which throws, then builds a KeyObject with createSecretKey, on every call (auth0/node-jsonwebtoken#966):
 * that cost is part of what this peer measures, on purpose (a KeyObject made once would avoid it).
 * Tokens carry the user and expire after 15 minutes; HS256 is jsonwebtoken's default.
 */
import express from 'express'
import jwt from 'jsonwebtoken'
import { checkLogin, me, peerSettings, type PeerUser } from './users.js'

const settings = peerSettings()
const secret = 'peer-express-jwt-secret-of-32-bytes-or-more'
const app = express()

app.get('/ready', (_req, res) => { res.json({ ok: true }) })

app.post('/login', express.json(), (req, res) => {
  const user = checkLogin(settings, req.body)
  if (user === null) {
    res.status(401).json({ error: 'invalid credentials' })
    return
  }
  res.json({ token: jwt.sign(me(user), secret, { expiresIn: '15m' }) })
})

app.get('/api/me', (req, res) => {
  const header = req.headers.authorization
  const token = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : null
  if (token === null) {
    res.status(401).json({ error: 'no token' })
    return
  }
  let user: PeerUser
  try {
    user = jwt.verify(token, secret) as PeerUser
  } catch {
    res.status(401).json({ error: 'invalid token' })
    return
  }
  res.json(me(user))
})

app.listen(settings.port, '127.0.0.1')
