// Lean fan-out load client: N subscriber connections on raw `net` sockets with minimal frame parsing, one publisher,
// for the Switchboard protocol (`--target switchboard`) or socket.io (`--target socketio`). Prints one JSON line.
//
// Phases: setup (connect + subscribe/join all), latency (one message in flight: publish -> all N delivered -> next),
// throughput (`--window` messages in flight). A publication carries its sequence number as `"s":<n>`; the
// publisher's send time is kept here, so latency uses one clock.
import { parseArgs } from 'node:util';
import { latencyPercentiles, openConcurrently, windowedPhase } from '../lib/load-phases.mjs';
import { maskedTextFrame, openRaw } from '../lib/raw-ws.mjs';

const { values: args } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    clients: { type: 'string', default: '10000' },
    'latency-messages': { type: 'string', default: '30' },
    'throughput-messages': { type: 'string', default: '150' },
    window: { type: 'string', default: '8' },
    'server-pid': { type: 'string' },
    size: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '256' },
  },
});
const target = args.target;
if (target !== 'switchboard' && target !== 'socketio') throw new Error('--target switchboard|socketio');
const port = Number(args.port);
const N = Number(args.clients);
const LAT_MSGS = Number(args['latency-messages']);
const TPUT_MSGS = Number(args['throughput-messages']);
const WINDOW = Number(args.window);
const PAD = 'x'.repeat(Math.max(0, Number(args.size) - 20));
const CONCURRENCY = Number(args.concurrency);
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

const frame = maskedTextFrame;

const path = target === 'switchboard' ? '/ws' : '/socket.io/?EIO=4&transport=websocket';
const protocolHeader = target === 'switchboard' ? 'Sec-WebSocket-Protocol: switchboard.v1.json\r\n' : '';
const REQUEST = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${protocolHeader}\r\n`;
const S_MARK = Buffer.from('"s":');

// Measurement state, shared by every connection.
const sendTime = new Float64Array(LAT_MSGS + TPUT_MSGS + 1);
const delivered = new Uint32Array(LAT_MSGS + TPUT_MSGS + 1);
const latencies = new Float64Array(N * LAT_MSGS);
let latencyCount = 0;
let measuring = false;
let onComplete = null;
let deliveriesTotal = 0;

function onPublication(payload) {
  const at = payload.indexOf(S_MARK);
  if (at < 0) return false;
  let seq = 0;
  for (let i = at + 4; i < payload.length; i++) {
    const c = payload[i];
    if (c < 48 || c > 57) break;
    seq = seq * 10 + (c - 48);
  }
  if (!measuring || seq === 0 || seq >= delivered.length) return true;
  deliveriesTotal++;
  if (seq <= LAT_MSGS) latencies[latencyCount++] = performance.now() - sendTime[seq];
  if (++delivered[seq] === N) onComplete(seq);
  return true;
}

/** One connection: handshake, then frames; `onText(payload)` for each text frame. */
function open(onText) {
  return openRaw({
    port,
    request: REQUEST,
    onText,
    onClose: () => {
      if (measuring) process.stderr.write('a connection closed during the run\n');
    },
  });
}

/** Opens a subscriber and waits until it is subscribed (Switchboard) or joined (socket.io). */
async function subscriber() {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  let stage = 0;
  const socket = await open((payload, socket) => {
    if (stage === 2) {
      onPublication(payload);
      return;
    }
    const text = payload.toString();
    if (target === 'switchboard') {
      if (text.includes('"type":"connected"')) {
        socket.write(frame('{"type":"subscribe","rid":2,"channel":"bench:fanout"}'));
      } else if (text.includes('"type":"subscribed"')) {
        stage = 2;
        ready();
      }
    } else if (text.startsWith('0{')) {
      socket.write(frame('40'));
    } else if (text.startsWith('40')) {
      socket.write(frame('420["join"]'));
    } else if (text.startsWith('430')) {
      stage = 2;
      ready();
    }
  });
  if (target === 'switchboard') socket.write(frame('{"type":"connect","rid":1}'));
  await done;
  return socket;
}

async function publisher() {
  let ready;
  const done = new Promise((r) => {
    ready = r;
  });
  const socket = await open((payload, socket) => {
    const text = payload.toString();
    if (target === 'switchboard') {
      if (text.includes('"type":"connected"')) ready();
    } else if (text.startsWith('0{')) {
      socket.write(frame('40'));
    } else if (text.startsWith('40')) {
      ready();
    }
  });
  if (target === 'switchboard') socket.write(frame('{"type":"connect","rid":1}'));
  await done;
  return (seq) => {
    sendTime[seq] = performance.now();
    const data = `{"s":${seq},"p":"${PAD}"}`;
    socket.write(
      frame(
        target === 'switchboard'
          ? `{"type":"publish","channel":"bench:fanout","id":"m${seq}","data":${data}}`
          : `42["pub",${data}]`,
      ),
    );
  };
}

const t0 = performance.now();
const sockets = [];
await openConcurrently(N, CONCURRENCY, async () => {
  sockets.push(await subscriber());
}).done;
const setupMs = performance.now() - t0;
const publish = await publisher();
measuring = true;

/** Publishes messages `from..to` keeping `window` in flight; resolves when all are delivered to all N. */
function phase(from, to, window) {
  return windowedPhase({
    from,
    to,
    window,
    publish,
    serverPid: args['server-pid'],
    listen: (handler) => {
      onComplete = handler;
    },
  });
}

const deadline = setTimeout(() => {
  process.stderr.write(`timed out: delivered ${deliveriesTotal}\n`);
  process.exit(3);
}, 600_000);
const latency = await phase(1, LAT_MSGS, 1);
const before = deliveriesTotal;
const throughput = await phase(LAT_MSGS + 1, LAT_MSGS + TPUT_MSGS, WINDOW);
clearTimeout(deadline);
const lat = latencyPercentiles(latencies, latencyCount);
const result = {
  target,
  clients: N,
  setupMs: Math.round(setupMs),
  latency: {
    messages: LAT_MSGS,
    deliveries: latencyCount,
    ...lat,
    clientCpuMs: latency.clientCpuMs,
    serverCpuMs: latency.serverCpuMs,
    ms: latency.ms,
  },
  throughput: {
    messages: TPUT_MSGS,
    window: WINDOW,
    deliveries: deliveriesTotal - before,
    ms: throughput.ms,
    deliveriesPerSec: ((deliveriesTotal - before) / throughput.ms) * 1000,
    clientCpuMs: throughput.clientCpuMs,
    serverCpuMs: throughput.serverCpuMs,
    serverCpuUsPerDelivery: (throughput.serverCpuMs * 1000) / (deliveriesTotal - before),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
for (const s of sockets) s.destroy();
process.exit(0);
