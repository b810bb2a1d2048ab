// Load process of bench/feeds-ingest.mjs: `--clients` subscribers on raw `net` sockets (a fixed upgrade request,
// minimal frame parsing; permessage-deflate inflated per message with no context takeover), each on one symbol
// (`S<idx % symbols>`), to Switchboard (`connect`, then `subscribe feed:prices.<symbol>`) or to the `ws` peer
// (`/?symbol=<symbol>`). Every price carries `"k":<step>,"t":<send time>`; the latency (receive time on the same
// clock, minus `t`) goes into a 0.1 ms histogram per step and class (fast, slow). A `--slow-every` of 10 makes every
// 10th client a slow reader: it reads 20 ms every 500 ms and leaves its socket paused otherwise.
// stdin: `report <step>` prints `{"step","fast":{count,hist},"slow":{...}}` (hist: [bucket, count] pairs); `quit`.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { maskedTextFrame, openRaw } from '../lib/raw-ws.mjs';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    clients: { type: 'string' },
    first: { type: 'string', default: '0' },
    symbols: { type: 'string', default: '20' },
    'slow-every': { type: 'string', default: '0' },
    deflate: { type: 'boolean', default: false },
  },
});
const PORT = Number(args.port);
const N = Number(args.clients);
const FIRST = Number(args.first);
const SYMBOLS = Number(args.symbols);
const SLOW_EVERY = Number(args['slow-every']);
const SB = args.target === 'switchboard';
/** Histogram: 0.1 ms buckets up to 30 s (the last bucket holds anything later). */
const BUCKETS = 300_000;
const SLOW_READ_MS = 20;
const SLOW_PERIOD_MS = 500;
const K_MARK = Buffer.from('"k":');
const T_MARK = Buffer.from('"t":');

/** Per step: { fast: Uint32Array, slow: Uint32Array, counts }. */
const steps = new Map();
function stepOf(k) {
  let s = steps.get(k);
  if (s === undefined) {
    s = { fast: new Uint32Array(BUCKETS), slow: new Uint32Array(BUCKETS), fastCount: 0, slowCount: 0 };
    steps.set(k, s);
  }
  return s;
}

function readNumber(buf, from) {
  let end = from;
  while (end < buf.length && ((buf[end] >= 48 && buf[end] <= 57) || buf[end] === 46)) end++;
  return Number(buf.toString('latin1', from, end));
}

/** Records every price of a text message (a batch frame holds several). */
function onMessage(payload, slow) {
  const now = performance.timeOrigin + performance.now();
  let at = 0;
  for (;;) {
    const k = payload.indexOf(K_MARK, at);
    if (k < 0) return;
    const t = payload.indexOf(T_MARK, k);
    if (t < 0) return;
    const step = readNumber(payload, k + 4);
    const latency = now - readNumber(payload, t + 4);
    const s = stepOf(step);
    const bucket = Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency * 10)));
    if (slow) {
      s.slow[bucket]++;
      s.slowCount++;
    } else {
      s.fast[bucket]++;
      s.fastCount++;
    }
    at = t + 4;
  }
}

function open(index) {
  const symbol = `S${String(index % SYMBOLS).padStart(2, '0')}`;
  const slow = SLOW_EVERY > 0 && index % SLOW_EVERY === SLOW_EVERY - 1;
  const path = SB ? '/ws' : `/?symbol=${symbol}`;
  const request =
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    (SB ? 'Sec-WebSocket-Protocol: switchboard.v1.json\r\n' : '') +
    (args.deflate
      ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n'
      : '') +
    '\r\n';
  let subscribed = !SB;
  let ready;
  const readyPromise = new Promise((resolve) => {
    ready = resolve;
  });
  const onText = (payload, socket) => {
    if (subscribed) onMessage(payload, slow);
    else {
      const text = payload.toString();
      if (text.includes('"type":"connected"'))
        socket.write(maskedTextFrame(`{"type":"subscribe","rid":2,"channel":"feed:prices.${symbol}"}`));
      else if (text.includes('"type":"subscribed"')) {
        subscribed = true;
        ready();
      }
    }
  };
  // A ping (Switchboard's keepalive) gets its pong, or the server would close the connection mid-run.
  return openRaw({ port: PORT, request, onText, onClose: () => {}, pong: true, inflate: true }).then((socket) => {
    if (SB) socket.write(maskedTextFrame('{"type":"connect","rid":1}'));
    else ready();
    return readyPromise.then(() => ({ socket, slow }));
  });
}

const clients = [];
let next = 0;
async function worker() {
  while (next < N) clients.push(await open(FIRST + next++));
}
await Promise.all(Array.from({ length: Math.min(200, N) }, worker));
const slowSockets = clients.filter((c) => c.slow).map((c) => c.socket);
for (const s of slowSockets) s.pause();
if (slowSockets.length > 0)
  setInterval(() => {
    for (const s of slowSockets) s.resume();
    setTimeout(() => {
      for (const s of slowSockets) s.pause();
    }, SLOW_READ_MS);
  }, SLOW_PERIOD_MS).unref();
process.stdout.write(`ready ${clients.length}\n`);

function sparse(hist) {
  const out = [];
  for (let i = 0; i < hist.length; i++) if (hist[i] !== 0) out.push([i, hist[i]]);
  return out;
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'quit') break;
  if (cmd === 'report') {
    const s = stepOf(Number(arg));
    process.stdout.write(
      `${JSON.stringify({
        step: Number(arg),
        fast: { count: s.fastCount, hist: sparse(s.fast) },
        slow: { count: s.slowCount, hist: sparse(s.slow) },
      })}\n`,
    );
  }
}
for (const c of clients) c.socket.destroy();
process.exit(0);
