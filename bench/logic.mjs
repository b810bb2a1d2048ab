#!/usr/bin/env node
// Server-logic benchmark: what hooks cost a publish through the real-time layer. One run measures, side by side,
// RealtimeServer + MemoryBroker (JSON, one channel) with no hooks, an in-process onPublish (sync and async), and the
// HTTP proxy (createHttpProxy) to a local node:http backend; 100 closed-loop publishers and a few timing subscribers.
//
//   node bench/logic.mjs                                 # 3 repeats, writes the section of bench/RESULTS.md
//   node bench/logic.mjs --repeats 1 --window-s 2 --no-write
//   node bench/logic.mjs --only none,proxy --cpu-prof bench/out/logic-prof   # profiles of the servers (--cpu-prof)
//   node bench/logic.mjs --nice=-5                      # processes at a higher priority on a shared machine (root)
//
// The server runs pinned to CPU 1, the load client (bench/logic/load.mjs) to CPU 0; the backend of the proxy mode
// shares CPU 0 with the load client (the machine has two cores; the server keeps one to itself). Modes rotate order
// every repeat; medians of the repeats are reported, with each run's figure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { writeSection } from './lib/sections.mjs';
import { median } from './lib/report.mjs';
import { hasTaskset, helpFromHeader, niceOption, pinned, setSessionNice } from './lib/harness.mjs';

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    publishers: { type: 'string', default: '100' },
    subscribers: { type: 'string', default: '4' },
    'warmup-s': { type: 'string', default: '2' },
    'window-s': { type: 'string', default: '5' },
    only: { type: 'string' },
    nice: { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 14);

/** The modes, in the order of the table; `label` is the row, `ratio` whether a target applies to it. */
const MODES = [
  { name: 'none', label: '(a) no hooks' },
  { name: 'hook-sync', label: '(b) in-process onPublish, sync', target: 0.9 },
  { name: 'hook-async', label: '(b) in-process onPublish, async', target: 0.9 },
  { name: 'proxy', label: '(c) HTTP proxy to a node:http backend (keep-alive, publish pipelined)', target: 0.5 },
];
const modes = args.only === undefined ? MODES : MODES.filter((m) => args.only.split(',').includes(m.name));
if (modes.length === 0) throw new Error(`--only: none of ${args.only} is a mode (${MODES.map((m) => m.name)})`);

const niceness = niceOption(args.nice);
const autogroup = setSessionNice(niceness);
const pin = (cpu, argv) => pinned(cpu, argv, { niceness });
const ENV = { ...process.env, NODE_OPTIONS: '' };

/** Starts a process that prints `listening PORT`; resolves with it and the port. */
function startListening(what, argv, env) {
  const [cmd, ...rest] = argv;
  const child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 30_000);
    const listening = { child, port: 0, output: () => out };
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m && listening.port === 0) {
        clearTimeout(timer);
        listening.port = Number(m[1]);
        resolve(listening);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.stdin.end();
  child.kill('SIGTERM');
  await gone;
}

async function measure(mode, repeat) {
  const started = [];
  let backend = null;
  let report;
  try {
    const env = { ...ENV, LOGIC_MODE: mode.name };
    if (mode.name === 'proxy') {
      backend = await startListening('backend', pin(0, [process.execPath, 'bench/logic/backend.mjs']), ENV);
      started.push(backend.child);
      env.BACKEND_URL = `http://127.0.0.1:${backend.port}/publish`;
    }
    const prof = args['cpu-prof'];
    if (prof !== undefined) mkdirSync(prof, { recursive: true });
    const node = [
      process.execPath,
      // One folder per run: tsx's loader thread writes a profile too (the main thread's is the larger file).
      ...(prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${prof}/${mode.name}-${repeat}`]),
      '--import',
      'tsx',
      'bench/logic/server.ts',
    ];
    const server = await startListening(`server ${mode.name}`, pin(1, node), env);
    started.push(server.child);
    const [cmd, ...rest] = pin(0, [
      process.execPath,
      'bench/logic/load.mjs',
      '--port',
      String(server.port),
      '--server-pid',
      String(server.child.pid),
      ...(backend === null ? [] : ['--backend-pid', String(backend.child.pid)]),
      '--publishers',
      args.publishers,
      '--subscribers',
      args.subscribers,
      '--warmup-s',
      args['warmup-s'],
      '--window-s',
      args['window-s'],
    ]);
    const result = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 180_000, env: ENV });
    if (result.status !== 0)
      throw new Error(`load client for ${mode.name} failed (${result.status}): ${result.stderr}`);
    report = JSON.parse(result.stdout.trim().split('\n').pop());
    if (report.refused > 0)
      throw new Error(`${mode.name}: ${report.refused} publishes refused, first: ${report.firstError}`);
  } finally {
    // The server first: with --cpu-prof it writes its profile on the way out.
    for (const child of started.reverse()) await stop(child);
  }
  const served = backend === null ? null : /served (\d+) requests over (\d+) connections/.exec(backend.output());
  if (served !== null) report.backend = { requests: Number(served[1]), connections: Number(served[2]) };
  return report;
}

const loadAtStart = loadavg()[0];
const repeats = Number(args.repeats);
const runs = Object.fromEntries(modes.map((m) => [m.name, []]));
for (let r = 0; r < repeats; r++) {
  // Rotate the order so that no mode always runs first (cold machine) or last.
  const order = modes.map((_, i) => modes[(i + r) % modes.length]);
  for (const mode of order) {
    const x = await measure(mode, r + 1);
    runs[mode.name].push(x);
    console.error(
      `repeat ${r + 1}/${repeats} ${mode.name}: ${Math.round(x.publishesPerSec)} publishes/s, delivery p50 ${x.delivery.p50Ms.toFixed(2)} ms p99 ${x.delivery.p99Ms.toFixed(2)} ms, server ${x.serverCpuUsPerPublish.toFixed(1)} µs/publish, client CPU ${Math.round((x.clientCpuMs / x.ms) * 100)} %`,
    );
  }
}

const summary = {};
for (const mode of modes) {
  const list = runs[mode.name];
  summary[mode.name] = {
    publishesPerSec: median(list.map((x) => x.publishesPerSec)),
    each: list.map((x) => Math.round(x.publishesPerSec)),
    deliveryP50Ms: median(list.map((x) => x.delivery.p50Ms)),
    deliveryP99Ms: median(list.map((x) => x.delivery.p99Ms)),
    replyP50Ms: median(list.map((x) => x.reply.p50Ms)),
    replyP99Ms: median(list.map((x) => x.reply.p99Ms)),
    serverUsPerPublish: median(list.map((x) => x.serverCpuUsPerPublish)),
    serverCpuShare: median(list.map((x) => x.serverCpuMs / x.ms)),
    backendCpuShare: median(list.map((x) => x.backendCpuMs / x.ms)),
    clientCpuShare: median(list.map((x) => x.clientCpuMs / x.ms)),
    othersServerCore: median(list.map((x) => x.othersCpuShare.server)),
    backendConnections: list.filter((x) => x.backend !== undefined).map((x) => x.backend),
    othersClientCore: median(list.map((x) => x.othersCpuShare.client)),
  };
}
const base = summary.none?.publishesPerSec;
// Ratios per repeat (the modes of one repeat ran back to back, so they share the machine's mood), then their median.
const perRepeat = (name, get) => (runs.none === undefined ? [] : runs[name].map((x, r) => get(x, runs.none[r])));
const ratios = Object.fromEntries(
  modes.map((m) => [
    m.name,
    {
      throughput: perRepeat(m.name, (x, a) => x.publishesPerSec / a.publishesPerSec),
      cpu: perRepeat(m.name, (x, a) => a.serverCpuUsPerPublish / x.serverCpuUsPerPublish),
    },
  ]),
);
const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–';
const pct = (share) => (Number.isFinite(share) ? `${Math.round(share * 100)} %` : '–');
const times = (xs) => (xs.length === 0 ? '–' : `${median(xs).toFixed(2)}×`);
const verdict = (mode) => {
  const r = median(ratios[mode.name].throughput);
  if (mode.target === undefined || !Number.isFinite(r)) return times(ratios[mode.name].throughput);
  return `${r.toFixed(2)}× (target ≥ ${mode.target}×: ${r >= mode.target ? 'met' : 'missed'})`;
};
const command = `node bench/logic.mjs ${process.argv.slice(2).join(' ')}`.trim();
const section = [
  '## Server logic: publishes through hooks and the HTTP proxy',
  '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${repeats} repeat(s), medians).`,
  `RealtimeServer + MemoryBroker, JSON subprotocol, one channel (history 100); ${args.publishers} closed-loop publishers (each sends`,
  '`publish` with a rid and waits for its reply before the next) and',
  `${args.subscribers} subscribers timing every delivery; ${args['warmup-s']} s warm-up, then a ${args['window-s']} s window. Server pinned to CPU 1, the load client`,
  `(bench/logic/load.mjs, raw \`net\`) to CPU 0${hasTaskset ? '' : ' (taskset missing: not pinned)'}; the proxy's backend (bench/logic/backend.mjs, \`node:http\`,`,
  `allow-all) shares CPU 0 with the load client. 1-minute load average at start: ${loadAtStart.toFixed(1)} on ${cpus().length} CPUs (shared machine);`,
  `${niceness === 0 ? 'default priority' : `every process at nice ${niceness} (${autogroup})`}.`,
  '',
  "| server logic | publishes/s | ratio to (a) | delivery p50 ms | delivery p99 ms | reply p50 ms | reply p99 ms | server CPU µs/publish | CPU ratio to (a) | server CPU | backend CPU | load-client CPU | others' CPU on server / client core | each run: publishes/s (ratio) |",
  '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ...modes.map((mode) => {
    const s = summary[mode.name];
    const each = s.each.map((n, r) => `${n} (${fmt(ratios[mode.name].throughput[r], 2)})`).join(', ');
    return `| ${mode.label} | ${fmt(s.publishesPerSec)} | ${base === undefined ? '–' : verdict(mode)} | ${fmt(s.deliveryP50Ms, 2)} | ${fmt(s.deliveryP99Ms, 2)} | ${fmt(s.replyP50Ms, 2)} | ${fmt(s.replyP99Ms, 2)} | ${fmt(s.serverUsPerPublish, 1)} | ${times(ratios[mode.name].cpu)} | ${pct(s.serverCpuShare)} | ${pct(s.backendCpuShare)} | ${pct(s.clientCpuShare)} | ${pct(s.othersServerCore)} / ${pct(s.othersClientCore)} | ${each} |`;
  }),
  '',
  "Delivery latency is from the publisher's send to a subscriber's receipt; reply latency from the send to the",
  "publisher's reply (what the closed loop waits for). Server CPU µs/publish counts the whole server process (10 ms",
  'ticks from /proc) per acknowledged publish, deliveries included; "CPU ratio to (a)" is (a)\'s µs/publish over this',
  "row's: the throughput ratio a server that had its core to itself would reach. Ratios are taken per repeat (the",
  'modes of a repeat run back to back) and their median is shown. "Others\' CPU" is what other processes took on',
  "the two cores during the window (/proc/stat minus the benchmark's own processes): the machine is shared.",
  ...(summary.proxy === undefined
    ? []
    : [
        `Keep-alive: the backend served ${summary.proxy.backendConnections
          .map((b) => `${fmt(b.requests)} requests over ${b.connections} connections`)
          .join(', ')} (warm-up included; one per run).`,
      ]),
  '',
].join('\n');
console.log(section);
console.log(JSON.stringify({ summary, ratios }));

if (!args['no-write'] && args.only === undefined) {
  writeSection('bench/RESULTS.md', 'logic', section);
  console.error('wrote the section of bench/RESULTS.md');
}
