// A Switchboard proxy backend in plain Node (node:http and node:crypto, no dependencies): the same chat rules as
// backend.py. Switchboard POSTs each hook and RPC call here as signed JSON (docs/backend-proxy.md).
//
//   SWITCHBOARD_PROXY_SECRET=... node examples/proxy-backend/backend.mjs      # PORT=3001 by default
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRET = process.env.SWITCHBOARD_PROXY_SECRET ?? '';
if (SECRET === '') {
  console.error('Set SWITCHBOARD_PROXY_SECRET to the secret of the proxy section (proxy.secret)');
  process.exit(2);
}
const TOLERANCE_SECONDS = 300; // how far the signer's clock may be from ours
const MAX_BODY_BYTES = 1024 * 1024;
const BANNED = new Set(['mallory']);

/** Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">; any v1 may match. */
export function verify(header, body, nowMs = Date.now()) {
  let timestamp = null;
  const candidates = [];
  for (const part of (header ?? '').split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === null || Math.abs(nowMs / 1000 - timestamp) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest();
  return candidates.some((candidate) => timingSafeEqual(expected, candidate));
}

const refuse = (code, message) => ({ error: { code, message } });

/** The application's rules; {} allows as is. */
function decide(req) {
  const { request: kind, user } = req;
  switch (kind) {
    case 'connect':
    case 'refresh':
      if (BANNED.has(user)) return refuse('forbidden', 'This account is suspended');
      return { result: { info: { name: user.charAt(0).toUpperCase() + user.slice(1) } } }; // shown in presence
    case 'subscribe':
      if (req.namespace === 'admin' && !req.roles.includes('admin')) return refuse('forbidden', 'Admins only');
      return {};
    case 'publish': {
      const text = typeof req.data?.text === 'string' ? req.data.text.trim() : '';
      if (text === '') return refuse('invalid_message', 'A message needs some text');
      return { result: { data: { text: text.replaceAll('darn', '****'), by: user } } }; // what is stored and delivered
    }
    case 'rpc':
      if (req.method === 'chat.shout') return { result: { data: { text: String(req.data ?? '').toUpperCase() } } };
      if (req.method === 'time') return { result: { data: { now: Date.now() } } };
      return refuse('not_found', `Unknown method ${req.method}`);
    default:
      return refuse('not_available', `Unknown request ${kind}`);
  }
}

const server = createServer((req, res) => {
  const send = (status, body) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    res.end(data);
  };
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!verify(req.headers['switchboard-signature'], body)) return send(401, { message: 'bad signature' });
    let request;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return send(400, { message: 'not JSON' });
    }
    send(200, decide(request));
  });
});
server.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
