#!/usr/bin/env node
// Ingest-to-delivery benchmark: a producer publishes prices for 20 symbols into NATS at rising rates (steps);
// Switchboard `serve` (a JetStream ingest connector into `feed:prices.<symbol>` channels) delivers them to 5,000
// WebSocket subscribers over the 20 channels; side by side in the same run, the seed's architecture: a Node process
// with `nats` + `ws` that subscribes to the subjects and loops `ws.send` over the clients of each symbol
// (bench/feeds-ingest/peer.mjs). Per step: ingest-to-delivery p50/p99 (send time in the payload, one clock),
// deliveries per second, completeness, server CPU. Each side's highest rate whose p99 stays under `--p99-bound-ms`
// (with every delivery made) gives the deliveries/s compared. Rows: Switchboard plain, with outbound batching, with
// permessage-deflate, with conflation (with and without a class of slow readers: every 10th subscriber), the peer.
//
//   node bench/feeds-ingest.mjs                       # 3 repeats, medians, writes the bench/RESULTS.md section
//   node bench/feeds-ingest.mjs --repeats 1 --no-write --subscribers 200 --rates 50,100 --step-seconds 1
//   node bench/feeds-ingest.mjs --nice=-5             # children at a higher priority on a shared machine (root)
//
// Uses the NATS server on 127.0.0.1:4222 (`--nats`); each row gets its own subjects (`feedbench.<run>.<row>.…`) and
// JetStream stream, deleted after. The server runs pinned to CPU 1, the producer and load processes to CPU 0.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { niceOption, pinned } from './lib/harness.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    repeats: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '5000' },
    symbols: { type: 'string', default: '20' },
    rates: { type: 'string', default: '100,200,400,800,1600' },
    'step-seconds': { type: 'string', default: '3' },
    'p99-bound-ms': { type: 'string', default: '100' },
    loads: { type: 'string', default: '2' },
    rows: { type: 'string', default: 'peer,plain,batch,deflate,conflate,conflate-slow' },
    nice: { type: 'string', default: '0' },
    'max-ack-pending': { type: 'string', default: '256' },
    'no-write': { type: 'boolean', default: false },
    /** Leaves the processes unpinned (the default pins the server to CPU 1, producer and loads to CPU 0). */
    'no-pin': { type: 'boolean', default: false },
  },
});
const REPEATS = Number(args.repeats);
const SUBSCRIBERS = Number(args.subscribers);
const SYMBOLS = Number(args.symbols);
const RATES = args.rates.split(',').map(Number);
const STEP_S = Number(args['step-seconds']);
const BOUND_MS = Number(args['p99-bound-ms']);
const LOADS = Number(args.loads);
const ROWS = args.rows.split(',');
const NICE = niceOption(args.nice);
const MAX_ACK_PENDING = Number(args['max-ack-pending']);
for (const [name, v] of [
  ['repeats', REPEATS],
  ['subscribers', SUBSCRIBERS],
  ['symbols', SYMBOLS],
  ['step-seconds', STEP_S],
  ['p99-bound-ms', BOUND_MS],
  ['loads', LOADS],
  ['max-ack-pending', MAX_ACK_PENDING],
])
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
if (RATES.some((r) => !(r > 0))) throw new Error(`--rates must be positive numbers: ${args.rates}`);
/** What each row runs: the target, its namespace options, deflate, and the slow-reader class. */
const ROW_SETUP = {
  peer: { label: '`ws` peer (NATS consumer looping ws.send)', target: 'peer' },
  plain: { label: 'Switchboard', target: 'switchboard' },
  batch: { label: 'Switchboard, outbound batching', target: 'switchboard', feed: { batchPublications: true } },
  deflate: { label: 'Switchboard, permessage-deflate', target: 'switchboard', deflate: true },
  conflate: { label: 'Switchboard, conflation', target: 'switchboard', feed: { conflate: true } },
  'conflate-slow': {
    label: 'Switchboard, conflation, 10 % slow readers',
    target: 'switchboard',
    feed: { conflate: true },
    slowEvery: 10,
  },
  'peer-slow': { label: '`ws` peer, 10 % slow readers', target: 'peer', slowEvery: 10 },
};
for (const r of ROWS) if (!(r in ROW_SETUP)) throw new Error(`--rows: unknown row ${r}`);
/** Share of the expected deliveries a step must make to count as keeping up. */
const COMPLETE = 0.99;

const PIN = !args['no-pin'];
const RUN = randomBytes(3).toString('hex');
/** Every child still running, and the stream of the row in progress: an interrupted run leaves neither behind. */
const running = new Set();
let currentStream = null;
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, async () => {
    for (const c of running) c.proc.kill('SIGKILL');
    if (currentStream !== null) {
      const nc = await connect({ servers: args.nats }).catch(() => null);
      await (await nc?.jetstreamManager())?.streams.delete(currentStream).catch(() => {});
      await nc?.close();
    }
    process.exit(130);
  });

/** A child process with line-oriented stdout: `next()` resolves with its next line. */
function child(argv, cpu, env = {}) {
  const [cmd, ...rest] = pinned(cpu, argv, { niceness: NICE, pin: PIN });
  const proc = spawn(cmd, rest, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  const waiting = [];
  const early = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else early.push(line);
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const handle = {
    proc,
    exited,
    next: () =>
      early.length > 0
        ? Promise.resolve(early.shift())
        : new Promise((resolve, reject) => {
            waiting.push(resolve);
            void exited.then((code) => reject(new Error(`${argv.join(' ')} exited (${code})`)));
          }),
    send: (line) => proc.stdin.write(`${line}\n`),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}

/** The server process's user+system CPU in ms (10 ms ticks). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** The node process under `taskset`/`nice` (they exec, so the pid is the same). */
const serverPid = (c) => c.proc.pid;

async function startSwitchboard(setup, prefix, stream, dir) {
  const config = {
    mode: 'production',
    host: '127.0.0.1',
    port: 0,
    allowPlaintext: true,
    auth: { anonymous: { enabled: true, roles: ['viewer'] } },
    roles: { viewer: ['subscribe'] },
    limits: {
      maxConnectionsPerIp: 1_000_000,
      maxConnectionsPerUser: 1_000_000,
      connectionsPerMinutePerIp: 1_000_000,
      handshakeTimeoutMs: 60_000,
    },
    namespaces: {
      feed: {
        allowClientPublish: false,
        historySize: 10,
        recoverOnJoin: 0,
        presence: false,
        joinLeave: false,
        typing: false,
        slowConsumerPolicy: 'drop',
        ...setup.feed,
      },
    },
    ...(setup.deflate ? { deflate: { enabled: true, thresholdBytes: 64, serverNoContextTakeover: true } } : {}),
    log: { level: 'warn', pretty: false },
    ingest: [
      {
        name: 'prices',
        source: {
          kind: 'nats',
          url: args.nats,
          stream,
          subjects: [`${prefix}.>`],
          durable: 'bench',
          maxAckPending: MAX_ACK_PENDING,
        },
        channel: 'feed:prices.{subject.4}',
        key: '{payload.symbol}',
      },
    ],
  };
  const file = join(dir, 'switchboard.json');
  writeFileSync(file, JSON.stringify(config));
  const c = child([process.execPath, 'bin/switchboard.js', 'serve', '--config', file], 1, {
    SWITCHBOARD_CONFIG: '',
    SWITCHBOARD_AUTH__HS256_SECRET: randomBytes(32).toString('hex'),
  });
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(await c.next());
    if (m !== null) return { ...c, port: Number(m[1]) };
  }
}

async function startPeer(prefix) {
  const c = child([process.execPath, 'bench/feeds-ingest/peer.mjs', '--url', args.nats, '--prefix', prefix], 1);
  return { ...c, port: Number((await c.next()).split(' ')[1]) };
}

/** Merges the loads' sparse histograms of one class and reads percentiles from 0.1 ms buckets. */
function summarize(reports, cls) {
  const merged = new Map();
  let count = 0;
  for (const r of reports) {
    count += r[cls].count;
    for (const [b, n] of r[cls].hist) merged.set(b, (merged.get(b) ?? 0) + n);
  }
  const sorted = [...merged].sort((a, b) => a[0] - b[0]);
  const pct = (p) => {
    let seen = 0;
    for (const [b, n] of sorted) {
      seen += n;
      if (seen >= p * count) return (b + 1) / 10;
    }
    return Number.NaN;
  };
  return { count, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

async function runRow(row) {
  const setup = ROW_SETUP[row];
  const prefix = `feedbench.${RUN}.${row.replace(/[^a-z]/g, '')}`;
  const stream = `FEEDBENCH_${RUN}_${row.replace(/[^a-z]/g, '_')}`;
  const dir = mkdtempSync(join(tmpdir(), 'sb-feeds-ingest-'));
  const nc = await connect({ servers: args.nats });
  const jsm = await nc.jetstreamManager();
  if (setup.target === 'switchboard') {
    currentStream = stream;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  }
  const started = [];
  try {
    const server =
      setup.target === 'switchboard' ? await startSwitchboard(setup, prefix, stream, dir) : await startPeer(prefix);
    started.push(server);
    const loads = [];
    const per = Math.ceil(SUBSCRIBERS / LOADS);
    for (let i = 0; i < LOADS; i++) {
      const n = Math.min(per, SUBSCRIBERS - i * per);
      const load = child(
        [
          process.execPath,
          'bench/feeds-ingest/load.mjs',
          '--target',
          setup.target,
          '--port',
          String(server.port),
          '--clients',
          String(n),
          '--first',
          String(i * per),
          '--symbols',
          String(SYMBOLS),
          '--slow-every',
          String(setup.slowEvery ?? 0),
          ...(setup.deflate ? ['--deflate'] : []),
        ],
        0,
      );
      started.push(load);
      loads.push(load);
    }
    for (const l of loads) {
      const line = await l.next();
      if (!line.startsWith('ready')) throw new Error(`load: ${line}`);
    }
    const producer = child(
      [
        process.execPath,
        'bench/feeds-ingest/producer.mjs',
        '--url',
        args.nats,
        '--prefix',
        prefix,
        '--symbols',
        String(SYMBOLS),
      ],
      0,
    );
    started.push(producer);
    await producer.next();
    // Warm-up (step 0, not reported): the JIT, the first fan-outs and the consumer's first fetches.
    producer.send(`rate ${RATES[0]} ${STEP_S} 0`);
    await producer.next();
    await new Promise((r) => setTimeout(r, 500));
    const slowShare = setup.slowEvery ? 1 / setup.slowEvery : 0;
    const steps = [];
    for (const [k, rate] of RATES.entries()) {
      const cpu0 = cpuMs(serverPid(server));
      const loadCpu0 = loads.reduce((n, l) => n + cpuMs(l.proc.pid), 0);
      const t0 = performance.now();
      producer.send(`rate ${rate} ${STEP_S} ${k + 1}`);
      const published = Number((await producer.next()).split(' ')[1]);
      // Deliveries of this step still in flight land within the drain wait (or count as missing).
      await new Promise((r) => setTimeout(r, 1000));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuMs(serverPid(server)) - cpu0;
      const loadCpu = loads.reduce((n, l) => n + cpuMs(l.proc.pid), 0) - loadCpu0;
      const reports = [];
      for (const l of loads) {
        l.send(`report ${k + 1}`);
        reports.push(JSON.parse(await l.next()));
      }
      const fast = summarize(reports, 'fast');
      const slow = summarize(reports, 'slow');
      const expectedFast = (published * SUBSCRIBERS * (1 - slowShare)) / SYMBOLS;
      const step = {
        rate,
        published,
        deliveriesPerSec: Math.round((fast.count + slow.count) / STEP_S),
        p50Ms: fast.p50Ms,
        p99Ms: fast.p99Ms,
        complete: fast.count / expectedFast,
        slowP99Ms: slow.count > 0 ? slow.p99Ms : null,
        serverCpuPct: Math.round((cpu / (seconds * 1000)) * 100),
        // Server CPU per delivery: on a machine shared with other work, the efficiency figure the scheduler's share
        // does not move (the rates and latencies above depend on how much CPU the processes got).
        cpuUsPerDelivery:
          fast.count + slow.count > 0 ? Math.round(((cpu * 1000) / (fast.count + slow.count)) * 10) / 10 : null,
        // The load processes share one core: near 100 % they, not the server, set the ceiling.
        loadCpuPct: Math.round((loadCpu / (seconds * 1000)) * 100),
      };
      steps.push(step);
      process.stdout.write(`${JSON.stringify({ row, ...step })}\n`);
      // Far past the bound: the next (higher) rate can only be worse; stop to keep the run bounded.
      if (step.p99Ms > BOUND_MS * 10 || step.complete < 0.5) break;
    }
    producer.send('quit');
    for (const l of loads) l.send('quit');
    return steps;
  } finally {
    for (const c of started.reverse()) await c.stop('SIGKILL');
    if (setup.target === 'switchboard') await jsm.streams.delete(stream).catch(() => {});
    currentStream = null;
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The highest step keeping every delivery under the p99 bound. */
function best(steps) {
  let out = null;
  for (const s of steps) if (s.p99Ms <= BOUND_MS && s.complete >= COMPLETE) out = s;
  return out;
}

/** The highest step that still made every delivery, whatever its latency (sustained throughput). */
function sustained(steps) {
  let out = null;
  for (const s of steps) if (s.complete >= COMPLETE) out = s;
  return out;
}

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length === 0 ? Number.NaN : v[Math.floor((v.length - 1) / 2)];
};

const results = Object.fromEntries(ROWS.map((r) => [r, []]));
for (let rep = 0; rep < REPEATS; rep++)
  for (const row of ROWS) {
    const steps = await runRow(row);
    results[row].push(steps);
    process.stdout.write(`${JSON.stringify({ repeat: rep + 1, row, best: best(steps), loadavg: loadavg()[0] })}\n`);
  }

/** Per row: median over repeats of each step's figures, and of the best step's deliveries/s and rate. */
const summary = {};
for (const row of ROWS) {
  const perStep = RATES.map((rate, k) => {
    const xs = results[row].map((steps) => steps[k]).filter((s) => s !== undefined);
    if (xs.length === 0) return null;
    const m = (f) => median(xs.map(f));
    return {
      rate,
      deliveriesPerSec: m((s) => s.deliveriesPerSec),
      p50Ms: m((s) => s.p50Ms),
      p99Ms: m((s) => s.p99Ms),
      complete: m((s) => s.complete),
      slowP99Ms: xs[0].slowP99Ms === null ? null : m((s) => s.slowP99Ms),
      serverCpuPct: m((s) => s.serverCpuPct),
      cpuUsPerDelivery: m((s) => s.cpuUsPerDelivery ?? Number.NaN),
    };
  });
  const bests = results[row].map(best);
  const kept = results[row].map(sustained);
  summary[row] = {
    steps: perStep,
    maxRate: median(bests.map((b) => b?.rate ?? 0)),
    maxDeliveriesPerSec: median(bests.map((b) => b?.deliveriesPerSec ?? 0)),
    sustainedRate: median(kept.map((b) => b?.rate ?? 0)),
    sustainedDeliveriesPerSec: median(kept.map((b) => b?.deliveriesPerSec ?? 0)),
    /** Server CPU per delivery over the steps fully delivered (median over repeats of each repeat's mean). */
    cpuUsPerDelivery: median(
      results[row].map((steps) => {
        const full = steps.filter((x) => x.complete >= COMPLETE && x.cpuUsPerDelivery !== null);
        return full.length === 0 ? Number.NaN : full.reduce((n, x) => n + x.cpuUsPerDelivery, 0) / full.length;
      }),
    ),
  };
}
const ratio = (a, b) =>
  summary[a] && summary[b] ? summary[a].maxDeliveriesPerSec / summary[b].maxDeliveriesPerSec : null;
const sustainedRatio = (a, b) =>
  summary[a] && summary[b] ? summary[a].sustainedDeliveriesPerSec / summary[b].sustainedDeliveriesPerSec : null;
const cpuRatio = (a, b) =>
  summary[a] && summary[b] ? summary[b].cpuUsPerDelivery / summary[a].cpuUsPerDelivery : null;
const ratios = {
  cpuPlainVsPeer: cpuRatio('plain', 'peer'),
  cpuBatchVsPlain: cpuRatio('batch', 'plain'),
  sustainedPlainVsPeer: sustainedRatio('plain', 'peer'),
  plainVsPeer: ratio('plain', 'peer'),
  batchVsPeer: ratio('batch', 'peer'),
  deflateVsPeer: ratio('deflate', 'peer'),
  batchVsPlain: ratio('batch', 'plain'),
  deflateVsPlain: ratio('deflate', 'plain'),
};

function table() {
  const fmt = (x, d = 1) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));
  const lines = [
    `Machine load average (1 min) at the end: ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs. Ingest-to-delivery, ${SUBSCRIBERS} subscribers over ${SYMBOLS} channels, steps of ${STEP_S} s at ${RATES.join(', ')} msg/s in; medians of ${REPEATS} run(s); p99 bound ${BOUND_MS} ms (fast subscribers), every delivery made.`,
    '',
    "| row | max rate in under the bound (msg/s) | deliveries/s at it | highest rate fully delivered | deliveries/s at it | server CPU µs per delivery | steps: rate → deliveries/s, p50 / p99 ms, server CPU % (slow readers' p99) |",
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const row of ROWS) {
    const s = summary[row];
    const steps = s.steps
      .filter((x) => x !== null)
      .map(
        (x) =>
          `${x.rate} → ${Math.round(x.deliveriesPerSec)}, ${fmt(x.p50Ms)} / ${fmt(x.p99Ms)}, ${fmt(x.serverCpuPct, 0)} %${x.complete < COMPLETE ? ` (${fmt(x.complete * 100, 0)} % delivered)` : ''}${x.slowP99Ms === null ? '' : ` (${fmt(x.slowP99Ms)})`}`,
      )
      .join('; ');
    lines.push(
      `| ${ROW_SETUP[row].label} | ${s.maxRate} | ${Math.round(s.maxDeliveriesPerSec)} | ${s.sustainedRate} | ${Math.round(s.sustainedDeliveriesPerSec)} | ${fmt(s.cpuUsPerDelivery)} | ${steps} |`,
    );
  }
  lines.push('');
  lines.push(
    `Deliveries per server CPU second, Switchboard / peer: ${fmt(ratios.cpuPlainVsPeer, 2)}× (batching / plain ${fmt(ratios.cpuBatchVsPlain, 2)}×). Ratios of deliveries/s at the highest rate fully delivered: Switchboard / peer ${fmt(ratios.sustainedPlainVsPeer, 2)}×. At the highest rate under the bound: Switchboard / peer ${fmt(ratios.plainVsPeer, 2)}×, batching / peer ${fmt(ratios.batchVsPeer, 2)}×, deflate / peer ${fmt(ratios.deflateVsPeer, 2)}×; batching / plain ${fmt(ratios.batchVsPlain, 2)}×, deflate / plain ${fmt(ratios.deflateVsPlain, 2)}×.`,
  );
  return `${lines.join('\n')}\n`;
}

const text = table();
process.stdout.write(text);
if (!args['no-write']) {
  writeSection(
    'bench/RESULTS.md',
    'feeds-ingest',
    `## feeds-ingest: NATS → Switchboard vs a \`nats\` + \`ws\` service\n\n\`node bench/feeds-ingest.mjs\` (${new Date().toISOString().slice(0, 10)}).\n\n${text}`,
  );
}
process.stdout.write(`${JSON.stringify({ summary, ratios })}\n`);
process.exit(0);
