#!/usr/bin/env node
// Collaborative documents benchmark: Switchboard against y-websocket's server (@y/websocket-server) and
// @hocuspocus/server, in the same run.
//   (a) 50 editors on one document, 10 updates per second each;
//   (b) 1,000 documents with 2 editors each (1 update per second each).
// Figures: server CPU per update (process.cpuUsage reported by the server over the measured window, fan-out
// included), update-to-remote latency p50/p99 (send by one editor -> receipt by each other editor of the document),
// and memory per document (heap after GC and RSS, above the fresh server's): open (editors connected, after the
// window), idle (editors connected, silent for --idle-s), left (--idle-s after every editor disconnected).
//
//   node bench/documents.mjs                                  # 3 repeats, every server, writes bench/RESULTS.md section
//   node bench/documents.mjs --repeats 1 --docs 200 --window-s 5 --no-write
//   node bench/documents.mjs --servers yws,hocuspocus         # a subset (also: switchboard-yjs, switchboard-msgpack,
//                                                             #   switchboard-file, switchboard-nobatch and
//                                                             #   switchboard-batch: documentFanoutBatchMs 0 and 10,
//                                                             #   switchboard-awake: documentHibernateMs 0;
//                                                             #   references: floor, floor-ws, a relay without
//                                                             #   Yjs: what read, frame and write cost alone)
//   node bench/documents.mjs --scenarios b                    # one scenario only (a or b)
//   node bench/documents.mjs --replace-every 4 --no-write      # every 4th edit also deletes 2 characters
//   node bench/documents.mjs --doc-rid reply --no-write        # Switchboard's `doc` messages: `quiet` (the default,
//                                                             #   as the SDK sends them: rid, answered only if
//                                                             #   refused), `reply` (a reply to each), `none`
//   node bench/documents.mjs --nice=-10                       # higher priority on a shared machine (root; see README)
//   node bench/documents.mjs --cpu-prof bench/out/docs-prof   # V8 CPU profiles of the servers (bench/lib/cpuprofile-top.mjs)
//   BENCH_SERVER_NODE_FLAGS="--perf-basic-prof" node bench/documents.mjs ...   # extra node flags for the servers
//                                                             #   (e.g. to sample them with `perf record -p PID`)
//
// Each server runs in a fresh child process pinned to CPU 1 (taskset when present) with --expose-gc; the load
// generator (bench/documents/load.mjs, one Y.Doc and one WebSocket per editor) runs pinned to CPU 0 and reports its
// own CPU. Servers rotate order between repeats; medians are reported. Raw figures: bench/out/documents-<stamp>.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { helpFromHeader, niceOption, pinned, setSessionNice } from './lib/harness.mjs';
import { median } from './lib/report.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    servers: { type: 'string', default: 'switchboard,yws,hocuspocus' },
    scenarios: { type: 'string', default: 'a,b' },
    repeats: { type: 'string', default: '3' },
    'a-editors': { type: 'string', default: '50' },
    'a-rate': { type: 'string', default: '10' },
    docs: { type: 'string', default: '1000' },
    'b-editors': { type: 'string', default: '2' },
    'b-rate': { type: 'string', default: '1' },
    'warmup-s': { type: 'string', default: '3' },
    'window-s': { type: 'string', default: '10' },
    'idle-s': { type: 'string', default: '8' },
    'replace-every': { type: 'string', default: '0' },
    'doc-rid': { type: 'string', default: 'quiet' },
    nice: { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 28);
if (!['quiet', 'reply', 'none'].includes(args['doc-rid']))
  throw new Error(`--doc-rid must be quiet, reply or none, not ${JSON.stringify(args['doc-rid'])}`);

const LABELS = {
  switchboard: 'Switchboard (JSON protocol, `doc` messages)',
  'switchboard-yjs': 'Switchboard (`/yjs/<doc>` endpoint)',
  'switchboard-file': 'Switchboard (JSON protocol, file store: fdatasync per append batch)',
  'switchboard-msgpack': 'Switchboard (MessagePack protocol, `doc` messages)',
  'switchboard-nobatch': 'Switchboard (JSON protocol, `documentFanoutBatchMs: 0`)',
  'switchboard-batch': 'Switchboard (JSON protocol, `documentFanoutBatchMs: 10`)',
  'switchboard-awake': 'Switchboard (JSON protocol, `documentHibernateMs: 0`: never hibernates)',
  yws: '@y/websocket-server 0.1.1',
  hocuspocus: '@hocuspocus/server 3.4.4',
  floor: 'Reference: relay without Yjs on the Switchboard engine (the floor)',
  'floor-ws': 'Reference: relay without Yjs on `ws` (the floor)',
};
const SERVERS = {
  switchboard: [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-yjs': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-file': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-msgpack': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-nobatch': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-batch': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  'switchboard-awake': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/switchboard-server.ts'],
  yws: [process.execPath, '--expose-gc', 'bench/documents/yws-server.mjs'],
  hocuspocus: [process.execPath, '--expose-gc', 'bench/documents/hocuspocus-server.mjs'],
  floor: [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/relay-floor.ts'],
  'floor-ws': [process.execPath, '--expose-gc', '--import', 'tsx', 'bench/documents/relay-floor.ts'],
};
const servers = args.servers.split(',').filter(Boolean);
for (const s of servers) if (!(s in SERVERS)) throw new Error(`unknown server ${s}`);
const scenarios = args.scenarios.split(',').filter(Boolean);
for (const s of scenarios) if (s !== 'a' && s !== 'b') throw new Error(`unknown scenario ${s} (a or b)`);
const repeats = Number(args.repeats);
const niceness = niceOption(args.nice);
// As in bench/logic.mjs: with autogroup scheduling only the session's nice counts against other sessions.
const autogroup = setSessionNice(niceness);
const pin = (cpu, argv) => pinned(cpu, argv, { niceness });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A child speaking lines: `send(line)`, `next(predicate)` resolves with the first matching line (queued). */
function lineChild(argv, env = {}) {
  const [cmd, ...rest] = argv;
  const child = spawn(cmd, rest, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  const queue = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const i = waiters.findIndex((w) => w.match(line));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(line);
    else queue.push(line);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    send: (line) => child.stdin.write(`${line}\n`),
    next: (match, timeoutMs = 120_000) => {
      const i = queue.findIndex(match);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for a line from ${rest.join(' ')}`)),
          timeoutMs,
        );
        exited.then(() => reject(new Error(`${rest.join(' ')} exited`)));
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startServer(name) {
  const env = name.startsWith('switchboard')
    ? {
        BENCH_DOC_STORE: name === 'switchboard-file' ? 'file' : 'memory',
        // The server's default (auto) unless the row names a time.
        BENCH_DOC_BATCH_MS: name === 'switchboard-batch' ? '10' : name === 'switchboard-nobatch' ? '0' : '',
        ...(name === 'switchboard-awake' ? { BENCH_DOC_HIBERNATE_MS: '0' } : {}),
      }
    : name.startsWith('floor')
      ? { BENCH_FLOOR_ENGINE: name === 'floor-ws' ? 'ws' : 'switchboard' }
      : {};
  const [node, ...rest] = SERVERS[name];
  const prof = args['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}/${name}`];
  const flags = (process.env['BENCH_SERVER_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
  const server = lineChild(pin(1, [node, ...flags, ...prof, ...rest]), env);
  const line = await server.next((l) => l.startsWith('listening '), 30_000);
  const port = Number(line.split(' ')[1]);
  const stats = async () => {
    server.send('stats');
    return JSON.parse((await server.next((l) => l.startsWith('stats '))).slice(6));
  };
  const cpu = async () => {
    server.send('cpu');
    return JSON.parse((await server.next((l) => l.startsWith('cpu '))).slice(4));
  };
  return { ...server, port, stats, cpu };
}

async function startLoad(name, port, prefix) {
  const load = lineChild(
    pin(0, [
      process.execPath,
      'bench/documents/load.mjs',
      '--server',
      name,
      '--port',
      String(port),
      '--prefix',
      prefix,
      '--replace-every',
      args['replace-every'],
      '--doc-rid',
      args['doc-rid'],
    ]),
  );
  const cmd = async (obj, answer, timeoutMs) => {
    load.send(JSON.stringify(obj));
    return JSON.parse(await load.next((l) => l.includes(`"ok":"${answer}"`), timeoutMs));
  };
  return { ...load, cmd };
}

/** One measured run: open, warm up, window with server CPU around it, memory at the phases that apply. */
async function scenario(name, kind) {
  const a = kind === 'a';
  const docs = a ? 1 : Number(args.docs);
  const perDoc = a ? Number(args['a-editors']) : Number(args['b-editors']);
  const rate = a ? Number(args['a-rate']) : Number(args['b-rate']);
  const server = await startServer(name);
  const load = await startLoad(name, server.port, `bench-${kind}-${Date.now().toString(36)}`);
  try {
    const base = await server.stats();
    const opened = await load.cmd({ cmd: 'open', docs, editors: perDoc }, 'open', 300_000);
    load.send(
      JSON.stringify({ cmd: 'run', rate, warmupS: Number(args['warmup-s']), windowS: Number(args['window-s']) }),
    );
    await load.next((l) => l.includes('window-start'), 120_000);
    // No forced GC here: the load generator is already sending, and the pause would fall in the measured window.
    const start = await server.cpu();
    await load.next((l) => l.includes('window-end'), 120_000);
    const end = await server.stats();
    const run = JSON.parse(await load.next((l) => l.includes('"ok":"run"'), 60_000));
    await sleep(Number(args['idle-s']) * 1000);
    const idle = await server.stats();
    await load.cmd({ cmd: 'close' }, 'close', 60_000);
    await sleep(Number(args['idle-s']) * 1000);
    const left = await server.stats();
    const perDocument = (s, key) => (s[key] - base[key]) / docs;
    const withBuffers = (s) => ({ all: s.heapUsed + s.arrayBuffers });
    // The same connections holding no document, in a fresh server of their own (y-websocket: a connection is a
    // document, n/a): subtracted from idle, what the documents themselves cost.
    const conns = a || !MULTIPLEXED.has(name) ? null : await bareConnections(name, docs * perDoc);
    const updates = run.sent;
    return {
      server: name,
      scenario: kind,
      docs,
      editors: docs * perDoc,
      rate,
      connectMs: opened.ms,
      ...run,
      cpuUsPerUpdate: (end.cpuUs - start.cpuUs) / updates,
      cpuUsPerDelivery: (end.cpuUs - start.cpuUs) / Math.max(1, run.delivered),
      serverCpuPct: ((end.cpuUs - start.cpuUs) / 1000 / run.sendMs) * 100,
      openHeapPerDoc: perDocument(end, 'heapUsed'),
      openRssPerDoc: perDocument(end, 'rss'),
      idleHeapPerDoc: perDocument(idle, 'heapUsed'),
      idleRssPerDoc: perDocument(idle, 'rss'),
      idleAllPerDoc: (withBuffers(idle).all - withBuffers(base).all) / docs,
      idleDocHeapPerDoc: conns === null ? Number.NaN : perDocument(idle, 'heapUsed') - conns.heapUsed / docs,
      idleDocAllPerDoc:
        conns === null ? Number.NaN : (withBuffers(idle).all - withBuffers(base).all - conns.all) / docs,
      connHeapPerDoc: conns === null ? Number.NaN : conns.heapUsed / docs,
      leftHeapPerDoc: perDocument(left, 'heapUsed'),
      leftRssPerDoc: perDocument(left, 'rss'),
      documentsLoadedAfterLeave: left.documents ?? null,
      documentsHibernatedAtIdle: idle.hibernated ?? null,
      raw: { base, start, end, idle, left, conns },
    };
  } finally {
    load.send(JSON.stringify({ cmd: 'exit' }));
    await load.stop();
    await server.stop();
  }
}

/** Servers whose connections carry several documents; their bare connections hold none. */
const MULTIPLEXED = new Set([
  'switchboard',
  'switchboard-file',
  'switchboard-batch',
  'switchboard-awake',
  'switchboard-msgpack',
  'switchboard-nobatch',
  'hocuspocus',
]);

/** Memory of `count` connections holding no document, above a fresh server's: { heapUsed, all (heap + buffers) }. */
async function bareConnections(name, count) {
  const server = await startServer(name);
  const load = await startLoad(name, server.port, 'bare');
  try {
    const base = await server.stats();
    await load.cmd({ cmd: 'bare', connections: count }, 'bare', 300_000);
    await sleep(1000);
    const open = await server.stats();
    return {
      heapUsed: open.heapUsed - base.heapUsed,
      all: open.heapUsed + open.arrayBuffers - base.heapUsed - base.arrayBuffers,
    };
  } finally {
    load.send(JSON.stringify({ cmd: 'exit' }));
    await load.stop();
    await server.stop();
  }
}

const results = [];
const startedAt = new Date();
const load1 = loadavg()[0];
for (let r = 0; r < repeats; r++) {
  const order = servers.map((_, i) => servers[(i + r) % servers.length]);
  for (const kind of scenarios) {
    for (const name of order) {
      process.stderr.write(`repeat ${r + 1}/${repeats} scenario ${kind} ${name}... `);
      try {
        const res = await scenario(name, kind);
        results.push({ repeat: r, ...res });
        process.stderr.write(
          `cpu ${res.cpuUsPerUpdate.toFixed(1)} µs/update, p99 ${res.p99.toFixed(1)} ms, lost ${res.lost}, idle heap ${(res.idleHeapPerDoc / 1024).toFixed(1)} KiB/doc\n`,
        );
      } catch (err) {
        process.stderr.write(`FAILED: ${err.message}\n`);
        results.push({ repeat: r, server: name, scenario: kind, error: err.message });
      }
    }
  }
}

mkdirSync('bench/out', { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
writeFileSync(`bench/out/documents-${stamp}.json`, JSON.stringify({ args, results }, null, 2));

const ok = (name, kind) => results.filter((x) => x.server === name && x.scenario === kind && x.error === undefined);
const med = (name, kind, key) => median(ok(name, kind).map((x) => x[key]));
const f = (v, d = 1) =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–';
const kib = (v) => f(v / 1024, 1);
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');

const L = [];
const cmdline = `node bench/documents.mjs ${process.argv.slice(2).join(' ')}`.trim();
L.push('## Collaborative documents: Switchboard, @y/websocket-server and @hocuspocus/server');
L.push('');
L.push(
  `Command: \`${cmdline}\` (${startedAt.toISOString().slice(0, 10)}, ${repeats} repeat(s), medians; ${cpus().length} CPUs, 1-minute load average at start ${load1.toFixed(1)}).`,
);
L.push(
  `(a) ${args['a-editors']} editors on one document, ${args['a-rate']} updates/s each; (b) ${args.docs} documents × ${args['b-editors']} editors, ${args['b-rate']} update/s each.`,
);
L.push(
  `Each run: a fresh server process (CPU 1, --expose-gc), the load generator (bench/documents/load.mjs, CPU 0), ${args['warmup-s']} s warm-up, a ${args['window-s']} s measured window; ${niceness === 0 ? 'default priority' : `every process at nice ${niceness} (${autogroup})`}.`,
);
const replaceEvery = Number(args['replace-every']);
L.push(
  `Updates are 8-character inserts (about 30 bytes of Yjs update)${replaceEvery > 0 ? `; every ${replaceEvery}th also deletes the 2 characters before it` : ''}. Every server keeps documents in memory (no persistence) unless the row says otherwise.`,
);
L.push('');
for (const kind of scenarios) {
  L.push(kind === 'a' ? '### (a) one document, many editors' : '### (b) many documents, two editors each');
  L.push('');
  L.push(
    '| server | runs | updates | server CPU µs/update | µs/delivery | p50 ms | p99 ms | lost | heap KiB/doc open | idle | left | RSS KiB/doc idle | load-gen CPU |',
  );
  L.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const name of servers) {
    L.push(
      `| ${LABELS[name]} | ${ok(name, kind).length}/${repeats} | ${f(med(name, kind, 'sent'), 0)} | ${f(med(name, kind, 'cpuUsPerUpdate'))} | ${f(med(name, kind, 'cpuUsPerDelivery'), 2)} | ${f(med(name, kind, 'p50'))} | ${f(med(name, kind, 'p99'))} | ${f(med(name, kind, 'lost'), 0)} | ${kib(med(name, kind, 'openHeapPerDoc'))} | ${kib(med(name, kind, 'idleHeapPerDoc'))} | ${kib(med(name, kind, 'leftHeapPerDoc'))} | ${kib(med(name, kind, 'idleRssPerDoc'))} | ${f(med(name, kind, 'loadCpuPct'), 0)}% |`,
    );
  }
  L.push('');
}
if (scenarios.includes('b')) {
  L.push('### (b) memory per idle document, with and without its connections');
  L.push('');
  L.push(
    '| server | heap KiB/doc idle | heap + buffers | connections alone (heap) | idle − connections: heap | heap + buffers |',
  );
  L.push('|---|--:|--:|--:|--:|--:|');
  for (const name of servers) {
    const m = (key) => kib(med(name, 'b', key));
    const bare = (key) => (MULTIPLEXED.has(name) ? m(key) : 'n/a');
    L.push(
      `| ${LABELS[name]} | ${m('idleHeapPerDoc')} | ${m('idleAllPerDoc')} | ${bare('connHeapPerDoc')} | ${bare('idleDocHeapPerDoc')} | ${bare('idleDocAllPerDoc')} |`,
    );
  }
  L.push('');
}
if (servers.includes('switchboard') && servers.includes('hocuspocus')) {
  const targets = [];
  for (const kind of scenarios) {
    targets.push(
      `(${kind}) CPU per update ${ratio(med('switchboard', kind, 'cpuUsPerUpdate'), med('hocuspocus', kind, 'cpuUsPerUpdate'))} Hocuspocus's (target ≤ 0.5×) at p99 ${f(med('switchboard', kind, 'p99'))} vs ${f(med('hocuspocus', kind, 'p99'))} ms`,
    );
  }
  if (scenarios.includes('b'))
    targets.push(
      `(b) heap per idle document ${ratio(med('switchboard', 'b', 'idleHeapPerDoc'), med('hocuspocus', 'b', 'idleHeapPerDoc'))} Hocuspocus's (target ≤ 0.5×), heap + buffers ${ratio(med('switchboard', 'b', 'idleAllPerDoc'), med('hocuspocus', 'b', 'idleAllPerDoc'))}; without the connections: heap ${ratio(med('switchboard', 'b', 'idleDocHeapPerDoc'), med('hocuspocus', 'b', 'idleDocHeapPerDoc'))}, heap + buffers ${ratio(med('switchboard', 'b', 'idleDocAllPerDoc'), med('hocuspocus', 'b', 'idleDocAllPerDoc'))}`,
    );
  L.push(`**Ratios against Hocuspocus:** ${targets.join('; ')}.`);
  L.push('');
}
L.push(
  "Definitions: server CPU is the server process's own `process.cpuUsage()` (user + system, all threads) over the measured window, divided by the updates sent in it (so it includes the fan-out to the other editors); a delivery is one update received by one other editor. Latency is from an editor's send to each other editor's receipt, one clock (the load generator). Memory per document = (server figure − the fresh server's) ÷ documents, after two forced GCs: *open* right after the window with every editor connected, *idle* after " +
    `${args['idle-s']} s more of silence (editors still connected; Switchboard's documents stay encoded, without a Y.Doc, while typed in, and are compacted into one update 3 to 6 s after their last update at the default \`documentHibernateMs\` of 3 s, so they are compacted by then), *left* ${args['idle-s']} s after every editor disconnected (y-websocket's server keeps documents it has no persistence for; Hocuspocus unloads a document when its last connection closes; Switchboard keeps them, encoded, for \`documentIdleUnloadMs\`, 30 s). Scenario (a) has one document, so its per-document memory is that one document with its ${args['a-editors']} connections. ` +
    "*Heap + buffers* adds `process.memoryUsage().arrayBuffers` (the bytes of ArrayBuffers live outside the V8 heap: a store's or an encoded document's buffers are counted there). *Connections alone*: the same number of connections (2 per document) opened on a fresh server of the same kind without any document (Switchboard: `connect` answered; Hocuspocus: a WebSocket that has sent nothing yet), per document; *idle − connections* subtracts it from *idle*: what the documents themselves cost. y-websocket opens a connection per document on the document's URL, so it has no connection without a document (n/a).",
);
const body = `${L.join('\n')}\n`;
process.stdout.write(body);
if (!args['no-write']) writeSection('bench/RESULTS.md', 'documents', body);
