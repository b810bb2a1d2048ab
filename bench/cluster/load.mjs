// Cluster fan-out load client: N subscribers spread round-robin over several nodes (raw `net` sockets, minimal frame
// parsing, as bench/realtime/load.mjs), one publisher on the first node, and an open-loop publish-rate ramp.
// `--target switchboard` speaks the Switchboard protocol; `--target socketio` engine.io v4 over WebSocket. Prints one
// JSON line: per rate step, the publishes sent, deliveries, deliveries/s and publish-to-delivery percentiles.
//
// Each publication carries its sequence number as `"s":<n>`; send times are kept here, so latency uses one clock.
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    ports: { type: 'string' },
    clients: { type: 'string', default: '3000' },
    rates: { type: 'string', default: '25,50,100,150,200,300,400,600,800' },
    'step-seconds': { type: 'string', default: '4' },
    size: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '128' },
    'max-p99-ms': { type: 'string', default: '2000' },
  },
});
const target = args.target;
if (target !== 'switchboard' && target !== 'socketio') throw new Error('--target switchboard|socketio');
const ports = args.ports.split(',').map(Number);
const N = Number(args.clients);
const RATES = args.rates.split(',').map(Number);
const STEP_MS = Number(args['step-seconds']) * 1000;
const PAD = 'x'.repeat(Math.max(0, Number(args.size) - 20));
const CONCURRENCY = Number(args.concurrency);
const MAX_P99 = Number(args['max-p99-ms']);
const MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const CHANNEL = 'bench:cluster';

function frame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]);
  for (let i = 0; i < len; i++) payload[i] ^= MASK[i & 3];
  return Buffer.concat([head, MASK, payload]);
}

const path = target === 'switchboard' ? '/ws' : '/socket.io/?EIO=4&transport=websocket';
const protocolHeader = target === 'switchboard' ? 'Sec-WebSocket-Protocol: switchboard.v1.json\r\n' : '';
const S_MARK = Buffer.from('"s":');

// Latency histogram: 0.1 ms buckets up to 30 s.
const BUCKETS = 300_000;
let histogram = new Uint32Array(BUCKETS);
let histogramCount = 0;
const MAX_SEQ = RATES.reduce((s, r) => s + Math.ceil((r * STEP_MS) / 1000), 0) + 1;
const sendTime = new Float64Array(MAX_SEQ + 1);
let deliveries = 0;
let closedDuringRun = 0;

function onPublication(payload) {
  const at = payload.indexOf(S_MARK);
  if (at < 0) return;
  let seq = 0;
  for (let i = at + 4; i < payload.length; i++) {
    const c = payload[i];
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  if (seq === 0 || seq > MAX_SEQ) return;
  deliveries++;
  const ms = performance.now() - sendTime[seq];
  histogram[Math.min(BUCKETS - 1, Math.max(0, Math.round(ms * 10)))]++;
  histogramCount++;
}

function percentile(p) {
  const want = Math.ceil(p * histogramCount);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += histogram[i];
    if (seen >= want) return i / 10;
  }
  return NaN;
}

function open(port, onText) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buf = null;
    let upgraded = false;
    let running = false;
    socket.on('error', reject);
    socket.on('close', () => {
      if (running) closedDuringRun++;
    });
    socket.on('connect', () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${protocolHeader}\r\n`,
      ),
    );
    socket.on('data', (chunk) => {
      buf = buf === null || buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, 12).toString().includes(' 101')) {
          reject(new Error(`handshake refused on ${port}: ${buf.subarray(0, end).toString()}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        running = true;
        buf = buf.subarray(end + 4);
        resolve(socket);
      }
      let off = 0;
      while (buf.length - off >= 2) {
        const b0 = buf[off];
        let len = buf[off + 1] & 127;
        let hdr = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          hdr = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          hdr = 10;
        }
        if (buf.length - off < hdr + len) break;
        if ((b0 & 15) === 1) onText(buf.subarray(off + hdr, off + hdr + len), socket);
        off += hdr + len;
      }
      buf = off === buf.length ? null : buf.subarray(off);
    });
  });
}

async function subscriber(port) {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  let stage = 0;
  const socket = await open(port, (payload, s) => {
    if (stage === 2) {
      onPublication(payload);
      return;
    }
    const text = payload.toString();
    if (target === 'switchboard') {
      if (text.includes('"type":"connected"')) s.write(frame(`{"type":"subscribe","rid":2,"channel":"${CHANNEL}"}`));
      else if (text.includes('"type":"subscribed"')) {
        stage = 2;
        ready();
      } else if (text.includes('"type":"error"')) throw new Error(`subscriber error: ${text}`);
    } else if (text.startsWith('0{')) s.write(frame('40'));
    else if (text.startsWith('40')) s.write(frame('420["join"]'));
    else if (text.startsWith('430')) {
      stage = 2;
      ready();
    }
  });
  if (target === 'switchboard') socket.write(frame('{"type":"connect","rid":1}'));
  await done;
  return socket;
}

let acks = 0;
let publishErrors = 0;
async function publisher(port) {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  const socket = await open(port, (payload, s) => {
    const text = payload.toString();
    if (target === 'switchboard') {
      if (text.includes('"type":"connected"')) ready();
      else if (text.includes('"type":"reply"')) acks++;
      else if (text.includes('"type":"error"')) publishErrors++;
    } else if (text.startsWith('0{')) s.write(frame('40'));
    else if (text.startsWith('40')) ready();
  });
  if (target === 'switchboard') socket.write(frame('{"type":"connect","rid":1}'));
  await done;
  return (seq) => {
    sendTime[seq] = performance.now();
    const data = `{"s":${seq},"p":"${PAD}"}`;
    socket.write(
      frame(
        target === 'switchboard'
          ? `{"type":"publish","rid":${seq + 10},"channel":"${CHANNEL}","id":"m${seq}","data":${data}}`
          : `42["pub",${data}]`,
      ),
    );
  };
}

function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const t0 = performance.now();
const sockets = [];
let next = 0;
async function worker() {
  while (next < N) {
    const port = ports[next % ports.length];
    next++;
    sockets.push(await subscriber(port));
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, N) }, worker));
const setupMs = performance.now() - t0;
const publish = await publisher(ports[0]);
await new Promise((r) => setTimeout(r, 500));

const steps = [];
let seq = 0;
for (const rate of RATES) {
  histogram = new Uint32Array(BUCKETS);
  histogramCount = 0;
  const deliveriesBefore = deliveries;
  const first = seq + 1;
  const count = Math.ceil((rate * STEP_MS) / 1000);
  const started = performance.now();
  const cpu0 = cpuMs();
  // Open loop: message k goes out at started + k / rate, whatever the deliveries do.
  await new Promise((resolve) => {
    let sent = 0;
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (sent < due) {
        publish(++seq);
        sent++;
      }
      if (sent >= count) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendMs = performance.now() - started;
  const expected = count * N;
  // Wait for the tail (at most 10 s): deliveries still arriving belong to this step.
  const tailDeadline = performance.now() + 10_000;
  while (deliveries - deliveriesBefore < expected && performance.now() < tailDeadline)
    await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - started;
  const got = deliveries - deliveriesBefore;
  const step = {
    rate,
    published: count,
    firstSeq: first,
    expected,
    delivered: got,
    sendMs: Math.round(sendMs),
    ms: Math.round(ms),
    deliveriesPerSec: (got / ms) * 1000,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: percentile(1),
    clientCpuShare: (cpuMs() - cpu0) / ms,
  };
  steps.push(step);
  process.stderr.write(
    `${target} ${rate}/s: ${Math.round(step.deliveriesPerSec)} deliveries/s, p50 ${step.p50Ms} ms, p99 ${step.p99Ms} ms, ${got}/${expected} delivered, client CPU ${Math.round(step.clientCpuShare * 100)}%\n`,
  );
  if (got < expected || step.p99Ms > MAX_P99) break;
}
process.stdout.write(
  `${JSON.stringify({ target, clients: N, nodes: ports.length, setupMs: Math.round(setupMs), steps, acks, publishErrors, closedDuringRun })}\n`,
);
for (const s of sockets) s.destroy();
process.exit(0);
