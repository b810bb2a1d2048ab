// What one idle connection costs a server, object by object: starts a benchmark server (bench/servers/) with
// bench/lib/heap-probe.mjs preloaded, opens WARM connections, measures, opens N more, measures again, and prints the
// difference per connection: RSS, V8 heap, external memory, and the heap snapshot's objects by constructor.
//
//   node bench/conn-heap.mjs                           # switchboard, net-floor and ws, 2,000 connections each
//   node bench/conn-heap.mjs --server switchboard --conns 5000 --top 30
//   node bench/conn-heap.mjs --server realtime --server hocuspocus   # connections of the documents benchmark (b)
//   node bench/conn-heap.mjs --server realtime --retainers --top 60  # rows by type, constructor and first retainers
//
// `realtime` is the documents benchmark's Switchboard server (bench/documents/switchboard-server.ts: RealtimeServer,
// JSON protocol); each connection sends `connect` and counts once `connected` is back, like a (b) editor before it
// subscribes. `hocuspocus` is that benchmark's @hocuspocus/server; its connections send nothing after the upgrade
// (as in the benchmark's *connections alone* column).
//
// Memory figures come from a child that takes no snapshot (a snapshot's own garbage moves RSS); the object table
// from a second child that takes one snapshot before and one after. The client is this process (raw `net`, one
// upgrade request per connection), so nothing of it is in the server's heap. Needs `npm run build` for switchboard.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { maskedTextFrame } from './lib/raw-ws.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVERS = {
  switchboard: 'bench/servers/switchboard.mjs',
  ws: 'bench/servers/ws.mjs',
  'node-floor': 'bench/servers/node-floor.mjs',
  'net-floor': 'bench/servers/net-floor.mjs',
  realtime: 'bench/documents/switchboard-server.ts',
  hocuspocus: 'bench/documents/hocuspocus-server.mjs',
};
/** The upgrade request per server (default: REQUEST) and the text frame sent once upgraded, answered by `reply`. */
const OPENINGS = {
  realtime: {
    request:
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Protocol: switchboard.v1.json\r\n\r\n',
    send: '{"type":"connect","rid":1}',
    reply: '"connected"',
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
 * Opens `n` connections, 100 at a time, each resolved on the 101's last byte or, with an opening that sends a message,
 * once its reply has arrived.
 */
async function open(port, n, sockets, opening) {
  const one = () =>
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let head = '';
      let sent = false;
      s.on('error', reject);
      s.on('data', function onData(d) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) {
          s.removeListener('data', onData);
          reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        } else if (opening === undefined) {
          s.removeListener('data', onData);
          resolve();
        } else if (head.includes(opening.reply, end)) {
          s.removeListener('data', onData);
          resolve();
        } else if (!sent) {
          sent = true;
          s.write(maskedTextFrame(opening.send));
        }
      });
      s.write(opening?.request ?? REQUEST);
      sockets.push(s);
    });
  for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, one));
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
    await open(port, warm, sockets, OPENINGS[name]);
    await new Promise((r) => setTimeout(r, 200));
    const before = await measure(child, snapshot);
    await open(port, conns, sockets, OPENINGS[name]);
    await new Promise((r) => setTimeout(r, 200));
    const after = await measure(child, snapshot);
    return { before, after };
  } finally {
    for (const s of sockets) s.destroy();
    child.kill('SIGTERM');
  }
}

const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

for (const name of names) {
  const mem = await run(name, false);
  const per = (k) => (mem.after.memory[k] - mem.before.memory[k]) / conns;
  console.log(`\n## ${name}: ${fmt(conns)} idle connections (after ${fmt(warm)} warm-up connections)\n`);
  console.log('| memory | bytes per connection |\n|---|--:|');
  for (const k of ['rss', 'heapUsed', 'external', 'arrayBuffers']) console.log(`| ${k} | ${fmt(per(k))} |`);

  const snap = await run(name, true);
  const rows = [];
  for (const [key, [count, size]] of Object.entries(snap.after.totals)) {
    const [c0, s0] = snap.before.totals[key] ?? [0, 0];
    rows.push({ key, count: (count - c0) / conns, bytes: (size - s0) / conns });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  // `properties of:X` rows attribute PropertyArray bytes to their owner: already counted in `hidden:system / PropertyArray`.
  const total = rows.reduce((s, r) => (r.key.startsWith('properties of:') ? s : s + r.bytes), 0);
  console.log(`\nHeap snapshot difference: ${fmt(total)} B per connection in all; the largest ${top}:\n`);
  console.log('| node (type:constructor) | objects per connection | bytes per connection |\n|---|--:|--:|');
  for (const r of rows.slice(0, top)) console.log(`| ${r.key} | ${fmt(r.count, 2)} | ${fmt(r.bytes)} |`);
}
