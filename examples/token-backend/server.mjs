// A token backend for Switchboard in plain Node (node:http and node:crypto, no dependencies).
// Your application already knows who its users are; this service turns that into a short-lived JWT that the
// Switchboard server accepts, because both share one HS256 secret (SWITCHBOARD_AUTH__HS256_SECRET on the server).
//
//   SWITCHBOARD_SECRET=... node examples/token-backend/server.mjs        # PORT=3000 by default
//   curl -u alice:alice-password -X POST http://127.0.0.1:3000/token     # {"token":"eyJ...","expires":1700000900000}
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRET = process.env.SWITCHBOARD_SECRET ?? '';
if (Buffer.byteLength(SECRET) < 32) {
  console.error("Set SWITCHBOARD_SECRET to the server's HS256 secret (at least 32 bytes)");
  process.exit(2);
}
const TTL_SECONDS = 15 * 60; // short: the client asks again before expiry and sends the new token as `refresh`

// Stand-in for your user store and sign-in: replace with your session check (cookie, OAuth, ...).
const USERS = {
  alice: { password: 'alice-password', roles: ['user'], info: { name: 'Alice' } },
  root: { password: 'root-password', roles: ['admin'], info: { name: 'Operator' } },
};

const base64url = (data) => Buffer.from(data).toString('base64url');
const sameText = (a, b) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** HS256 JWT (RFC 7519) with the claims Switchboard reads: sub, roles, info, iat, exp. */
export function signToken({ sub, roles, info }, secret, now = Date.now()) {
  const iat = Math.floor(now / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub, roles, info, iat, exp: iat + TTL_SECONDS }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return { token: `${header}.${payload}.${signature}`, expires: (iat + TTL_SECONDS) * 1000 };
}

/** The user named by HTTP Basic credentials, or null. */
function authenticate(req) {
  const [scheme, value] = (req.headers.authorization ?? '').split(' ');
  if (scheme !== 'Basic' || value === undefined) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = decoded.slice(0, colon);
  const user = Object.hasOwn(USERS, name) ? USERS[name] : undefined;
  return user !== undefined && colon > 0 && sameText(decoded.slice(colon + 1), user.password)
    ? { sub: name, ...user }
    : null;
}

const server = createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  req.resume();
  if (req.method !== 'POST' || req.url !== '/token') return send(404, { error: 'not_found' });
  const user = authenticate(req);
  if (user === null) return send(401, { error: 'unauthorized' });
  send(200, signToken({ sub: user.sub, roles: user.roles, info: user.info }, SECRET));
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
const stop = () => {
  server.close();
  server.closeAllConnections(); // keep-alive connections would hold the process open
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
