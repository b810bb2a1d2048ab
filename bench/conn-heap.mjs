// What one idle connection costs a server, object by object: starts a benchmark server (bench/servers/) with
// bench/lib/heap-probe.mjs preloaded, opens WARM connections, measures, opens N more, measures again, and prints the
// difference per connection: RSS, V8 heap, external memory, and the heap snapshot's objects by constructor.
//
//   node bench/conn-heap.mjs                           # switchboard, net-floor and ws, 2,000 connections each
//   node bench/conn-heap.mjs --server switchboard --conns 5000 --top 30
//   node bench/conn-heap.mjs --server realtime --server hocuspocus   # connections of the documents benchmark (b)
//   node bench/conn-heap.mjs --server realtime --retainers --top 60  # rows by type, constructor and first retainers
//   node bench/conn-heap.mjs --server realtime-docs --retainers      # per hibernated document of two editors
//
// `realtime` is the documents benchmark's Switchboard server (bench/documents/switchboard-server.ts: RealtimeServer,
// JSON protocol); each connection sends `connect` and counts once `connected` is back, like a (b) editor before it
// subscribes. `realtime-docs` goes on as (b)'s editors do: two per document subscribe `doc:<name>` and send 13 updates
// each, then stay silent until the documents hibernate; its figures are per document, connections included (subtract
// twice the `realtime` figure for the document alone). `hocuspocus` is that benchmark's @hocuspocus/server; its
// connections send nothing after the upgrade (as in the benchmark's *connections alone* column).
//
// Memory figures come from a child that takes no snapshot (a snapshot's own garbage moves RSS); the object table
// from a second child that takes one snapshot before and one after. The client is this process (raw `net`, one
// upgrade request per connection), so nothing of it is in the server's heap. Needs `npm run build` for switchboard.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as Y from 'yjs';
import { maskedTextFrame } from './lib/raw-ws.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVERS = {
  switchboard: 'bench/servers/switchboard.mjs',
  ws: 'bench/servers/ws.mjs',
  'node-floor': 'bench/servers/node-floor.mjs',
  'net-floor': 'bench/servers/net-floor.mjs',
  realtime: 'bench/documents/switchboard-server.ts',
  'realtime-docs': 'bench/documents/switchboard-server.ts',
  hocuspocus: 'bench/documents/hocuspocus-server.mjs',
};
const REALTIME_REQUEST =
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
  'Sec-WebSocket-Protocol: switchboard.v1.json\r\n\r\n';
const CONNECT = ['{"type":"connect","rid":1}', '"connected"'];

/** Updates each `realtime-docs` editor sends (bench/documents.mjs (b): one a second for its 3 s + 10 s). */
const EDITOR_UPDATES = 13;

/** An editor's updates (its own client id): 8-character inserts into one Y.Doc, each base64 for a `doc` message. */
const updatesOf = new Map();
function editorUpdates(i) {
  const known = updatesOf.get(i);
  if (known !== undefined) return known;
  const doc = new Y.Doc();
  doc.clientID = i + 1;
  const out = [];
  doc.on('update', (u) => out.push(Buffer.from(u).toString('base64')));
  for (let k = 0; k < EDITOR_UPDATES; k++) doc.getText('t').insert(0, `e${i}k${k}`.padEnd(8, '.').slice(0, 8));
  updatesOf.set(i, out);
  return out;
}

/** The `doc` messages of editor `i`'s updates. */
function updateSteps() {
  return Array.from({ length: EDITOR_UPDATES }, (_, k) => [
    (i) => `{"type":"doc","channel":"doc:d${i >> 1}","kind":"update","data":"${editorUpdates(i)[k]}"}`,
    null,
  ]);
}

/**
 * Per server: the upgrade request (default REQUEST), then steps `[send(i), reply]` once upgraded: each text frame
 * sent (i: the connection's index in the run) waits for its reply's text before the next (a null reply: none waited
 * for). `perConnection` connections make one unit of the printed figures; `settleMs` is the wait before measuring.
 */
const OPENINGS = {
  realtime: { request: REALTIME_REQUEST, steps: [CONNECT] },
  // Two editors per document, as in bench/documents.mjs (b): connect, subscribe `doc:<i/2>`, 13 updates each, then
  // silence until the documents hibernate (documentHibernateMs, 3 s by default).
  'realtime-docs': {
    request: REALTIME_REQUEST,
    steps: [
      CONNECT,
      [(i) => `{"type":"subscribe","rid":2,"channel":"doc:d${i >> 1}"}`, '"subscribed"'],
      ...updateSteps(),
    ],
    unit: 'document',
    perConnection: 2,
    settleMs: 5000,
  },
};
const { values } = parseArgs({
  options: {
    server: { type: 'string', multiple: true },
    conns: { type: 'string', default: '2000' },
    warm: { type: 'string', default: '500' },
    top: { type: 'string', default: '20' },
    retainers: { type: 'boolean', default: false },
  },
});
const names = values.server ?? ['net-floor', 'switchboard', 'ws'];
for (const n of names)
  if (!(n in SERVERS)) throw new Error(`Unknown server "${n}": ${Object.keys(SERVERS).join(', ')}`);
const conns = Number(values.conns);
const warm = Number(values.warm);
const top = Number(values.top);

const REQUEST = Buffer.from(
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

function startServer(script) {
  const tsx = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, ['--expose-gc', ...tsx, '--import', './bench/lib/heap-probe.mjs', script], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
}

/**
 * Opens `n` connections (indexes `first`...), 100 at a time, each resolved on the 101's last byte or, with an opening,
 * once its steps are done.
 */
async function open(port, first, n, sockets, opening) {
  const one = (index) =>
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      const steps = opening?.steps ?? [];
      let head = '';
      let step = -1;
      let upgraded = false;
      s.on('error', reject);
      const next = () => {
        for (;;) {
          step++;
          if (step === steps.length) {
            s.removeListener('data', onData);
            resolve();
            return;
          }
          const [send, reply] = steps[step];
          s.write(maskedTextFrame(typeof send === 'function' ? send(index) : send));
          head = '';
          if (reply !== null) return;
        }
      };
      function onData(d) {
        head += d.toString('latin1');
        if (!upgraded) {
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!head.startsWith('HTTP/1.1 101')) {
            s.removeListener('data', onData);
            reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
            return;
          }
          upgraded = true;
          head = head.slice(end + 4);
          next();
        } else if (head.includes(steps[step][1])) {
          next();
        }
      }
      s.on('data', onData);
      s.write(opening?.request ?? REQUEST);
      sockets.push(s);
    });
  for (let i = 0; i < n; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => one(first + i + k)));
}

function measure(child, snapshot) {
  return new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ cmd: 'measure', snapshot, retainers: values.retainers });
  });
}

async function run(name, snapshot) {
  const { child, port } = await startServer(SERVERS[name]);
  const sockets = [];
  try {
    const opening = OPENINGS[name];
    const settle = () => new Promise((r) => setTimeout(r, opening?.settleMs ?? 200));
    await open(port, 0, warm, sockets, opening);
    await settle();
    const before = await measure(child, snapshot);
    await open(port, warm, conns, sockets, opening);
    await settle();
    const after = await measure(child, snapshot);
    return { before, after };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill('SIGTERM');
  }
}

const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

for (const name of names) {
  const opening = OPENINGS[name];
  const unit = opening?.unit ?? 'connection';
  const units = conns / (opening?.perConnection ?? 1);
  const mem = await run(name, false);
  const per = (k) => (mem.after.memory[k] - mem.before.memory[k]) / units;
  const what = unit === 'connection' ? '' : ` (${fmt(units)} ${unit}s)`;
  console.log(`\n## ${name}: ${fmt(conns)} idle connections${what} (after ${fmt(warm)} warm-up connections)\n`);
  console.log(`| memory | bytes per ${unit} |\n|---|--:|`);
  for (const k of ['rss', 'heapUsed', 'external', 'arrayBuffers']) console.log(`| ${k} | ${fmt(per(k))} |`);

  const snap = await run(name, true);
  const rows = [];
  for (const [key, [count, size]] of Object.entries(snap.after.totals)) {
    const [c0, s0] = snap.before.totals[key] ?? [0, 0];
    rows.push({ key, count: (count - c0) / units, bytes: (size - s0) / units });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  // `properties of:X` rows attribute PropertyArray bytes to their owner: already counted in `hidden:system / PropertyArray`.
  const total = rows.reduce((s, r) => (r.key.startsWith('properties of:') ? s : s + r.bytes), 0);
  console.log(`\nHeap snapshot difference: ${fmt(total)} B per ${unit} in all; the largest ${top}:\n`);
  console.log(`| node (type:constructor) | objects per ${unit} | bytes per ${unit} |\n|---|--:|--:|`);
  for (const r of rows.slice(0, top)) console.log(`| ${r.key} | ${fmt(r.count, 2)} | ${fmt(r.bytes)} |`);
}
