// Load client of the server-logic benchmark (bench/logic.mjs): `--publishers` closed-loop publishers on one channel
// (each sends `publish` with a rid and waits for its reply before the next) and `--subscribers` subscribers that
// time every delivery. Raw `net` sockets with minimal frame parsing, so the client costs little next to the server.
// Prints one JSON line.
//
// Phases: setup (all connected and subscribed), warm-up (`--warmup-s`, not counted), measured window (`--window-s`).
// A publication carries a global sequence number `"n":<n>`; its send time is kept here, so latency uses one clock.
import { maskedTextFrame, openRaw } from '../lib/raw-ws.mjs';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    publishers: { type: 'string', default: '100' },
    subscribers: { type: 'string', default: '4' },
    'warmup-s': { type: 'string', default: '2' },
    'window-s': { type: 'string', default: '5' },
    'server-pid': { type: 'string' },
    'backend-pid': { type: 'string' },
  },
});
const port = Number(args.port);
const PUBLISHERS = Number(args.publishers);
const SUBSCRIBERS = Number(args.subscribers);
const WARMUP_MS = Number(args['warmup-s']) * 1000;
const WINDOW_MS = Number(args['window-s']) * 1000;
const CHANNEL = 'bench:logic';
const REQUEST = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: switchboard.v1.json\r\n\r\n`;
const N_MARK = Buffer.from('"n":');
const REPLY = Buffer.from('"type":"reply"');
const ERROR = Buffer.from('"type":"error"');
/** Send times by sequence number (a ring: far more than are ever in flight). */
const RING = 1 << 20;
const sendTime = new Float64Array(RING);
/** Latency samples kept per kind; past this many the rest of the window is not sampled (bounded memory). */
const MAX_SAMPLES = 2_000_000;

const frame = maskedTextFrame;

function numberAfter(payload, mark) {
  const at = payload.indexOf(mark);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + mark.length; i < payload.length; i++) {
    const c = payload[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** One connection: handshake, then each text frame's payload to `onText(payload, socket)`. */
function open(onText) {
  return openRaw({
    port,
    request: REQUEST,
    onText,
    onClose: () => {
      if (state === 'warmup' || state === 'measuring') {
        process.stderr.write('a connection closed during the run\n');
        process.exit(4);
      }
    },
  });
}

/** 'setup' → 'warmup' → 'measuring' → 'done'. */
let state = 'setup';
let seq = 0;
let published = 0;
let refusedCount = 0;
let firstError = '';
let delivered = 0;
const deliveryMs = new Float64Array(MAX_SAMPLES);
let deliveryCount = 0;
const replyMs = new Float64Array(MAX_SAMPLES);
let replyCount = 0;
/** Sequence numbers from here on were sent inside the measured window. */
let firstMeasured = Number.POSITIVE_INFINITY;

async function connected(onText) {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  let authenticated = false;
  const socket = await open((payload, s) => {
    if (authenticated) onText(payload, s);
    else if (payload.includes('"type":"connected"')) {
      authenticated = true;
      ready();
    }
  });
  socket.write(frame('{"type":"connect","rid":1}'));
  await done;
  return socket;
}

async function subscriber() {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  let subscribed = false;
  const socket = await connected((payload) => {
    if (!subscribed) {
      if (payload.includes('"type":"subscribed"')) {
        subscribed = true;
        ready();
      } else if (payload.includes('"type":"error"')) throw new Error(`subscribe refused: ${payload}`);
      return;
    }
    const n = numberAfter(payload, N_MARK);
    if (n < 0 || state !== 'measuring') return;
    delivered++;
    if (n >= firstMeasured && deliveryCount < MAX_SAMPLES)
      deliveryMs[deliveryCount++] = performance.now() - sendTime[n & (RING - 1)];
  });
  socket.write(frame(`{"type":"subscribe","rid":2,"channel":"${CHANNEL}"}`));
  await done;
  return socket;
}

async function publisher(index) {
  let inFlight = -1;
  let rid = 10;
  const socket = await connected((payload, s) => {
    const ok = payload.indexOf(REPLY) >= 0;
    if (!ok) {
      if (payload.indexOf(ERROR) < 0) return;
      refusedCount++;
      if (firstError === '') firstError = payload.toString().slice(0, 300);
    }
    if (ok && state === 'measuring' && inFlight >= firstMeasured) {
      published++;
      if (replyCount < MAX_SAMPLES) replyMs[replyCount++] = performance.now() - sendTime[inFlight & (RING - 1)];
    }
    if (state === 'done') return;
    send(s);
  });
  const text = `hello from publisher ${index}`;
  const send = (s) => {
    const n = ++seq;
    inFlight = n;
    sendTime[n & (RING - 1)] = performance.now();
    s.write(
      frame(`{"type":"publish","channel":"${CHANNEL}","id":"m${n}","rid":${++rid},"data":{"text":"${text}","n":${n}}}`),
    );
  };
  return () => send(socket);
}

function procCpuMs(pid) {
  if (pid === undefined) return Number.NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy ms of each CPU since boot (/proc/stat: user+nice+system+irq+softirq+steal, in 10 ms ticks). */
function cpuBusyMs() {
  const out = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (m === null) continue;
    const [user, nice, system, , , irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
    out[Number(m[1])] = (user + nice + system + irq + softirq + steal) * 10;
  }
  return out;
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function percentiles(samples, count) {
  const xs = samples.subarray(0, count).sort();
  const pct = (p) => (count === 0 ? Number.NaN : xs[Math.min(count - 1, Math.floor(p * count))]);
  return { samples: count, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: count === 0 ? Number.NaN : xs[count - 1] };
}

const deadline = setTimeout(() => {
  process.stderr.write(`timed out in state ${state}\n`);
  process.exit(3);
}, 120_000);

const t0 = performance.now();
const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, subscriber));
const starters = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => publisher(i)));
const setupMs = performance.now() - t0;
state = 'warmup';
for (const start of starters) start();
await new Promise((r) => setTimeout(r, WARMUP_MS));
state = 'measuring';
firstMeasured = seq + 1;
const started = performance.now();
const cpu0 = cpuMs();
const server0 = procCpuMs(args['server-pid']);
const backend0 = procCpuMs(args['backend-pid']);
const busy0 = cpuBusyMs();
await new Promise((r) => setTimeout(r, WINDOW_MS));
const ms = performance.now() - started;
const serverCpuMs = procCpuMs(args['server-pid']) - server0;
const backendCpuMs = procCpuMs(args['backend-pid']) - backend0;
const clientCpuMs = cpuMs() - cpu0;
const busy = cpuBusyMs().map((b, i) => b - busy0[i]);
state = 'done';
clearTimeout(deadline);

const result = {
  publishers: PUBLISHERS,
  subscribers: SUBSCRIBERS,
  setupMs: Math.round(setupMs),
  ms,
  published,
  publishesPerSec: (published / ms) * 1000,
  refused: refusedCount,
  firstError,
  delivered,
  delivery: percentiles(deliveryMs, deliveryCount),
  reply: percentiles(replyMs, replyCount),
  serverCpuMs,
  serverCpuUsPerPublish: (serverCpuMs * 1000) / published,
  backendCpuMs,
  clientCpuMs,
  // CPU that other processes took during the window: the server's core (1) and the client's and backend's core (0).
  othersCpuShare: {
    server: Math.max(0, (busy[1] ?? Number.NaN) - serverCpuMs) / ms,
    client: Math.max(0, (busy[0] ?? Number.NaN) - clientCpuMs - (Number.isNaN(backendCpuMs) ? 0 : backendCpuMs)) / ms,
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
for (const s of subscribers) s.destroy();
process.exit(0);
