#!/usr/bin/env node
// Fan-out over the HTTP transports against Socket.IO (issue 14): N subscribers of one channel receive 100-byte
// publications on Switchboard's plain EventSource (/sse), SSE session (/http/stream), long-polling session
// (/http/poll) and WebSocket (/ws), and on socket.io's polling and WebSocket transports, side by side in one run.
//
//   node bench/transports.mjs                         # 2,000 subscribers, 3 repeats, writes bench/RESULTS.md section
//   node bench/transports.mjs --clients 20 --repeats 1 --latency-messages 3 --throughput-messages 10 --no-write
//   node bench/transports.mjs --rows sb-sse,sio-polling --cpu-prof bench/out/transports-prof   # server profiles
//   node bench/transports.mjs --nice=-10              # higher priority on a shared machine (root), see bench/README.md
//
// Every row runs a fresh server process pinned to CPU 1 (Switchboard: bench/transports/switchboard-server.ts,
// socket.io: bench/servers/socketio-room.mjs) and the load client (bench/transports/load.mjs, raw `net`) pinned
// to CPU 0. Rows rotate order each repeat; medians of the repeats, ratios against socket.io polling.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hasTaskset, helpFromHeader, niceOption, pinned, setSessionNice } from './lib/harness.mjs';
import { median } from './lib/report.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    repeats: { type: 'string', default: '3' },
    'latency-messages': { type: 'string', default: '20' },
    'throughput-messages': { type: 'string', default: '200' },
    window: { type: 'string', default: '8' },
    size: { type: 'string', default: '100' },
    rows: { type: 'string' },
    nice: { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'phase-timeout-s': { type: 'string', default: '120' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 13);

/** The rows, in the table's order; `server` is the process, `target` the load client's transport. */
const ROWS = [
  { name: 'sb-sse', server: 'switchboard', label: 'Switchboard SSE, plain EventSource `GET /sse`', target: 3 },
  { name: 'sb-stream', server: 'switchboard', label: 'Switchboard SSE session `/http/stream`', target: 3 },
  { name: 'sb-poll', server: 'switchboard', label: 'Switchboard long-polling session `/http/poll`', target: 1.5 },
  { name: 'sb-ws', server: 'switchboard', label: 'Switchboard WebSocket `/ws` (reference)' },
  { name: 'sio-polling', server: 'socketio', label: 'socket.io polling (websocket disabled on the client)' },
  { name: 'sio-ws', server: 'socketio', label: 'socket.io WebSocket' },
];
const BASELINE = 'sio-polling';
const rows = args.rows === undefined ? ROWS : ROWS.filter((r) => args.rows.split(',').includes(r.name));
if (args.rows !== undefined) {
  const unknown = args.rows.split(',').filter((n) => !ROWS.some((r) => r.name === n));
  if (unknown.length > 0)
    throw new Error(`--rows: unknown row(s) ${unknown.join(', ')} (rows: ${ROWS.map((r) => r.name)})`);
}
for (const key of ['clients', 'repeats', 'window', 'size', 'phase-timeout-s']) {
  const v = Number(args[key]);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new Error(`--${key} must be a whole number of 1 or more, got "${args[key]}"`);
}
for (const key of ['latency-messages', 'throughput-messages']) {
  const v = Number(args[key]);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new Error(`--${key} must be a whole number of 1 or more, got "${args[key]}"`);
}

const niceness = niceOption(args.nice);
// With autogroup scheduling a process's nice only ranks it within its session; the session's group gets the same
// nice when the kernel lets us (bench/README.md, "Server logic"), restored on exit.
const autogroup = setSessionNice(niceness);
const pin = (cpu, argv) => pinned(cpu, argv, { niceness });
const ENV = { ...process.env, NODE_OPTIONS: '' };

/** Starts a server that prints `listening PORT`; resolves with it and the port. */
function startServer(what, argv) {
  const [cmd, ...rest] = argv;
  const child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'inherit'], env: ENV });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 30 s`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before listening`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.stdin.end();
  child.kill('SIGTERM');
  await gone;
}

async function measure(row, repeat) {
  const prof = args['cpu-prof'];
  if (prof !== undefined) mkdirSync(prof, { recursive: true });
  const profFlags = prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${prof}/${row.name}-${repeat}`];
  const argv =
    row.server === 'switchboard'
      ? [process.execPath, ...profFlags, '--import', 'tsx', 'bench/transports/switchboard-server.ts']
      : [process.execPath, ...profFlags, 'bench/servers/socketio-room.mjs', '--transports', 'polling,websocket'];
  const { child, port } = await startServer(row.server, pin(1, argv));
  try {
    const [cmd, ...rest] = pin(0, [
      process.execPath,
      'bench/transports/load.mjs',
      '--target',
      row.name,
      '--port',
      String(port),
      '--server-pid',
      String(child.pid),
      '--clients',
      args.clients,
      '--latency-messages',
      args['latency-messages'],
      '--throughput-messages',
      args['throughput-messages'],
      '--window',
      args.window,
      '--size',
      args.size,
      '--phase-timeout-s',
      args['phase-timeout-s'],
    ]);
    const result = spawnSync(cmd, rest, {
      encoding: 'utf8',
      timeout: (Number(args['phase-timeout-s']) * 3 + 60) * 1000,
      env: ENV,
    });
    const last = result.stdout?.trim().split('\n').pop() ?? '';
    if (result.status !== 0 || !last.startsWith('{'))
      return {
        ok: false,
        failure: `load client exited ${result.status ?? result.signal}: ${result.stderr.slice(-500)}`,
      };
    return JSON.parse(last);
  } finally {
    // The server first: with --cpu-prof it writes its profile on the way out.
    await stop(child);
  }
}

const loadAtStart = loadavg()[0];
const repeats = Number(args.repeats);
const runs = Object.fromEntries(rows.map((r) => [r.name, []]));
const unavailable = new Set();
for (let r = 0; r < repeats; r++) {
  // Rotate the order so that no row always runs first (cold machine) or last.
  const order = rows.map((_, i) => rows[(i + r) % rows.length]).filter((row) => !unavailable.has(row.name));
  for (const row of order) {
    const x = await measure(row, r + 1);
    if (x.unavailable) {
      unavailable.add(row.name);
      console.error(`${row.name}: not served by this tree (${x.failure}); row skipped`);
      continue;
    }
    runs[row.name].push(x);
    if (!x.ok) console.error(`repeat ${r + 1}/${repeats} ${row.name}: FAILED: ${x.failure}`);
    else
      console.error(
        `repeat ${r + 1}/${repeats} ${row.name}: ${Math.round(x.throughput.deliveriesPerSec)} deliveries/s, server ${x.throughput.serverCpuUsPerDelivery.toFixed(2)} µs/delivery, p50 ${x.latency.p50Ms.toFixed(1)} ms p99 ${x.latency.p99Ms.toFixed(1)} ms, client CPU ${Math.round((x.throughput.clientCpuMs / x.throughput.ms) * 100)} %, others ${Math.round((x.throughput.othersCpuMs / x.throughput.ms) * 100)} %`,
      );
  }
}

/** Per row: medians over its successful runs; `failed` counts the runs that did not deliver everything. */
const summary = {};
for (const row of rows) {
  if (unavailable.has(row.name)) continue;
  const all = runs[row.name];
  const ok = all.filter((x) => x.ok);
  const med = (get) => median(ok.map(get));
  summary[row.name] = {
    runs: all.length,
    failed: all.length - ok.length,
    failures: all.filter((x) => !x.ok).map((x) => x.failure),
    deliveriesPerSec: med((x) => x.throughput.deliveriesPerSec),
    each: ok.map((x) => Math.round(x.throughput.deliveriesPerSec)),
    serverUsPerDelivery: med((x) => x.throughput.serverCpuUsPerDelivery),
    serverCpuShare: med((x) => x.throughput.serverCpuMs / x.throughput.ms),
    clientCpuShare: med((x) => x.throughput.clientCpuMs / x.throughput.ms),
    othersCpuShare: med((x) => x.throughput.othersCpuMs / x.throughput.ms),
    p50Ms: med((x) => x.latency.p50Ms),
    p99Ms: med((x) => x.latency.p99Ms),
    rssPerSubscriberBytes: med((x) => x.memory.rssPerSubscriberBytes),
    rssEndBytes: med((x) => x.memory.rssEndBytes),
    setupMs: med((x) => x.setupMs),
    deliveriesPerPollAnswer: med((x) => x.throughput.deliveriesPerPollAnswer ?? Number.NaN),
  };
}
// Ratios per repeat against the baseline's run of the same repeat (they shared the machine's mood), then the median.
const ratios = {};
const base = runs[BASELINE] ?? [];
for (const row of rows) {
  if (unavailable.has(row.name) || base.length === 0) continue;
  const mine = runs[row.name];
  const pairs = mine.map((x, i) => [x, base[i]]).filter(([x, b]) => x?.ok && b?.ok);
  ratios[row.name] = {
    throughput: median(pairs.map(([x, b]) => x.throughput.deliveriesPerSec / b.throughput.deliveriesPerSec)),
    cpu: median(pairs.map(([x, b]) => b.throughput.serverCpuUsPerDelivery / x.throughput.serverCpuUsPerDelivery)),
  };
}

const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–';
const pct = (share) => (Number.isFinite(share) ? `${Math.round(share * 100)} %` : '–');
const times = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const verdict = (row) => {
  const r = ratios[row.name]?.throughput;
  if (row.target === undefined || !Number.isFinite(r)) return times(r);
  return `${r.toFixed(2)}× (target ≥ ${row.target}×: ${r >= row.target ? 'met' : 'missed'})`;
};
const command = `node bench/transports.mjs ${process.argv.slice(2).join(' ')}`.trim();
const shown = rows.filter((r) => summary[r.name] !== undefined);
const section = [
  `## HTTP transports: ${fmt(Number(args.clients))} subscribers of one channel, Switchboard SSE and long-polling against socket.io`,
  '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${repeats} repeat(s), medians; ${args.clients} subscribers, ${args.size}-byte`,
  `publications; latency: ${args['latency-messages']} messages one at a time; throughput: ${args['throughput-messages']} messages, ${args.window} in flight). Server pinned to CPU 1, the`,
  `load client (bench/transports/load.mjs, raw \`net\`, one process) to CPU 0${hasTaskset ? '' : ' (taskset missing: not pinned)'}; a fresh server process per row and repeat.`,
  `1-minute load average at start: ${loadAtStart.toFixed(1)} on ${cpus().length} CPUs (shared machine); ${niceness === 0 ? 'default priority' : `every process at nice ${niceness} (${autogroup})`}.`,
  ...(unavailable.size === 0
    ? []
    : [`Not served by this tree (404), so not measured: ${[...unavailable].join(', ')}.`]),
  '',
  "| transport | runs ok | deliveries/s | ratio to socket.io polling | server CPU µs/delivery | CPU ratio to socket.io polling | p50 ms | p99 ms | server RSS per subscriber | server CPU | load-client CPU | others' CPU | each run: deliveries/s |",
  '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ...shown.map((row) => {
    const s = summary[row.name];
    const okRuns = s.runs - s.failed;
    return `| ${row.label} | ${okRuns}/${s.runs}${s.failed > 0 ? ' **failed**' : ''} | ${fmt(s.deliveriesPerSec)} | ${verdict(row)} | ${fmt(s.serverUsPerDelivery, 2)} | ${times(ratios[row.name]?.cpu)} | ${fmt(s.p50Ms, 1)} | ${fmt(s.p99Ms, 1)} | ${fmt(s.rssPerSubscriberBytes / 1024, 1)} KiB | ${pct(s.serverCpuShare)} | ${pct(s.clientCpuShare)} | ${pct(s.othersCpuShare)} | ${s.each.map((n) => fmt(n)).join(', ')} |`;
  }),
  '',
  'Deliveries/s over the throughput phase; every subscriber must receive every message once and in order, else the',
  'run counts as failed and gives no figure. Server CPU µs/delivery: the server process (10 ms ticks from /proc) over',
  "that phase, per delivery; its ratio is socket.io polling's over the row's (what the throughput ratio would be with",
  'the server alone the limit). Ratios are per repeat, then their median. p50/p99: publish-to-delivery over every',
  'delivery of the latency phase (one message in flight, so p99 is the time to reach 99 % of the subscribers). RSS',
  "per subscriber: the server's resident set after all subscribed, minus before, over the subscribers. Others' CPU: what",
  'other processes took of the two cores during the phase (/proc/stat minus the server and the load client).',
  ...(shown.some((row) => Number.isFinite(summary[row.name].deliveriesPerPollAnswer))
    ? [
        `Publications per poll answer over the throughput phase: ${shown
          .filter((row) => Number.isFinite(summary[row.name].deliveriesPerPollAnswer))
          .map((row) => `${row.name} ${fmt(summary[row.name].deliveriesPerPollAnswer, 2)}`)
          .join(', ')} (each answer is one HTTP request and response).`,
      ]
    : []),
  ...shown
    .filter((row) => summary[row.name].failed > 0)
    .map((row) => `Failed runs of ${row.name}: ${summary[row.name].failures.join('; ')}`),
  '',
].join('\n');
console.log(section);
console.log(JSON.stringify({ summary, ratios, unavailable: [...unavailable] }));

if (!args['no-write'] && args.rows === undefined) {
  writeSection('bench/RESULTS.md', 'transports', section);
  console.error('wrote the section of bench/RESULTS.md');
}
