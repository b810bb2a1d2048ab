#!/usr/bin/env node
// Cluster fan-out benchmark: 3 nodes on one Redis, 3,000 subscribers spread over them, one publisher, a publish-rate
// ramp; Switchboard (`switchboard serve --broker redis://`, history on) against socket.io with @socket.io/redis-adapter,
// in the same run, on the same Redis (flushed between servers) and the same load client (bench/cluster/load.mjs).
//
//   node bench/cluster-fanout.mjs                        # 3,000 subscribers, rates 25..800/s, writes its bench/RESULTS.md section
//   node bench/cluster-fanout.mjs --clients 600 --rates 10,50 --step-seconds 2 --no-write
//
// Figures per rate step: deliveries/s (publications × subscribers that arrived, over the step plus its tail) and
// publish-to-delivery p50/p99 over every delivery. The ratio compares the best deliveries/s each server sustained with
// every message delivered and p99 within --p99-budget-ms ("at equal p99").
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { helpFromHeader } from './lib/harness.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '3000' },
    nodes: { type: 'string', default: '3' },
    rates: { type: 'string', default: '25,50,75,100,150,200,300,400,600,800' },
    'step-seconds': { type: 'string', default: '4' },
    size: { type: 'string', default: '100' },
    'p99-budget-ms': { type: 'string', default: '500' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 12);
const NODES = Number(args.nodes);
const BUDGET = Number(args['p99-budget-ms']);
const env = { ...process.env, NODE_OPTIONS: '' };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function redisCommand(port, line) {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('redis did not answer'));
    }, 2000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`${line}\r\n`));
    socket.once('data', (d) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(d.toString());
    });
  });
}

/** Spawns a process and resolves once `pattern` appears in its stdout (the first group is returned). */
function spawnUntil(name, cmd, argv, pattern, extraEnv = {}) {
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, ...extraEnv } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${out} ${err}`));
    }, 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, value: m[1] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${err}`));
    });
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
}

const scratch = mkdtempSync(join(tmpdir(), 'switchboard-cluster-bench-'));
const SWITCHBOARD_CONFIG = {
  mode: 'production',
  allowPlaintext: true,
  host: '127.0.0.1',
  auth: {
    hs256Secret: 'cluster-bench-secret-at-least-32-bytes!',
    anonymous: { enabled: true, roles: ['user'] },
    connectTimeoutMs: 60_000,
  },
  // History on (the default 100 per channel, in a Redis stream): what recovery needs. 'wait' buffers for a slow
  // reader as socket.io does, so neither side drops.
  namespaces: { bench: { presence: false, joinLeave: false, typing: false, slowConsumerPolicy: 'wait' } },
  limits: {
    maxConnections: 1_000_000,
    maxConnectionsPerIp: 1_000_000,
    connectionsPerMinutePerIp: 1_000_000,
    maxConnectionsPerUser: 1_000_000,
    messagesPerSecond: 1_000_000,
    messagesBurst: 1_000_000,
    bytesPerSecond: 1_000_000_000,
    bytesBurst: 1_000_000_000,
    pingIntervalMs: 0,
    handshakeTimeoutMs: 60_000,
    sendHighWaterMark: 64 * 1024 * 1024,
  },
  log: { level: 'warn', pretty: false },
  web: { enabled: false },
};
const configPath = join(scratch, 'switchboard.json');
writeFileSync(configPath, JSON.stringify(SWITCHBOARD_CONFIG));

const TARGETS = {
  switchboard: (redisUrl) =>
    spawnUntil(
      'switchboard serve',
      process.execPath,
      ['bin/switchboard.js', 'serve', '--config', configPath, '--port', '0', '--broker', redisUrl],
      /listening on http:\/\/127\.0\.0\.1:(\d+)/,
    ),
  socketio: (redisUrl) =>
    spawnUntil(
      'socket.io node',
      process.execPath,
      ['bench/servers/socketio-room.mjs', '--redis', redisUrl],
      /listening (\d+)/,
    ),
};

const redisPort = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', scratch],
  { stdio: ['pipe', 'ignore', 'inherit'] },
);
for (let i = 0; i < 100; i++) {
  try {
    if ((await redisCommand(redisPort, 'PING')).startsWith('+PONG')) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 50));
}
const redisUrl = `redis://127.0.0.1:${redisPort}`;

const loadAtStart = loadavg()[0];
const results = {};
try {
  for (const name of ['switchboard', 'socketio']) {
    await redisCommand(redisPort, 'FLUSHALL');
    const nodes = await Promise.all(Array.from({ length: NODES }, () => TARGETS[name](redisUrl)));
    try {
      const ports = nodes.map((n) => n.value).join(',');
      const r = spawnSync(
        process.execPath,
        [
          'bench/cluster/load.mjs',
          '--target',
          name,
          '--ports',
          ports,
          '--clients',
          args.clients,
          '--rates',
          args.rates,
          '--step-seconds',
          args['step-seconds'],
          '--size',
          args.size,
        ],
        { encoding: 'utf8', timeout: 900_000, env, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (r.status !== 0) throw new Error(`load client for ${name} failed (${r.status})`);
      results[name] = JSON.parse(r.stdout.trim().split('\n').pop());
    } finally {
      await Promise.all(nodes.map((n) => stop(n.child)));
    }
  }
} finally {
  redis.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
}

const best = (name, budget = BUDGET) => {
  const ok = results[name].steps.filter((s) => s.delivered === s.expected && s.p99Ms <= budget);
  return ok.reduce((b, s) => (b === null || s.deliveriesPerSec > b.deliveriesPerSec ? s : b), null);
};
const ratioAt = (budget) => {
  const a = best('switchboard', budget);
  const b = best('socketio', budget);
  return a !== null && b !== null ? a.deliveriesPerSec / b.deliveriesPerSec : NaN;
};
const bestSb = best('switchboard');
const bestSio = best('socketio');
const ratio = ratioAt(BUDGET);
// Saturation: the most deliveries/s each sustained with every message delivered, whatever the latency (p99 under 2 s).
const peak = (name) =>
  Math.max(...results[name].steps.filter((s) => s.delivered === s.expected).map((s) => s.deliveriesPerSec));
const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—';
const cell = (name, rate) => {
  const s = results[name].steps.find((x) => x.rate === rate);
  if (s === undefined) return '(stopped) | | |';
  const lost = s.expected - s.delivered;
  return `${fmt(s.deliveriesPerSec)}${lost > 0 ? ` (${fmt((lost / s.expected) * 100, 1)}% late)` : ''} | ${fmt(s.p50Ms, 1)} | ${fmt(s.p99Ms, 1)} |`;
};
const rates = args.rates.split(',').map(Number);
const command = `node bench/cluster-fanout.mjs ${process.argv.slice(2).join(' ')}`.trim();
const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || '?';
const bestLine = (label, b) =>
  b === null
    ? `${label}: no step within the budget`
    : `${label}: ${fmt(b.deliveriesPerSec)} deliveries/s at ${b.rate} publishes/s (p99 ${fmt(b.p99Ms, 1)} ms)`;
const section = [
  '## Cluster fan-out: 3 nodes on one Redis, 3,000 subscribers spread over them',
  '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}; ${args.clients} subscribers round-robin over ${NODES} nodes, one publisher on the`,
  `first node, ${args.size}-byte payloads, open-loop publish rates ${args.rates}/s for ${args['step-seconds']} s each; a step that leaves messages`,
  `undelivered after a 10 s tail or exceeds p99 2 s ends the ramp). Every process shares ${cpus} CPUs (1-minute load average at start`,
  `${loadAtStart.toFixed(1)}): ${NODES} nodes, redis-server and the load client, unpinned, so the figures are for comparison within the run.`,
  'Switchboard: `switchboard serve --broker redis://` (every publish stored in a Redis stream with its offset, then fanned out over',
  'pub/sub; JSON subprotocol). socket.io 4 with @socket.io/redis-adapter 8 (pub/sub only, nothing stored), websocket transport.',
  '',
  '| publishes/s | Switchboard deliveries/s | p50 ms | p99 ms | socket.io + redis-adapter deliveries/s | p50 ms | p99 ms |',
  '|---|---|---|---|---|---|---|',
  ...rates.map((r) => `| ${r} | ${cell('switchboard', r)} ${cell('socketio', r)}`),
  '',
  `Best step with every message delivered and p99 ≤ ${BUDGET} ms: ${bestLine('Switchboard', bestSb)}; ${bestLine('socket.io', bestSio)}.`,
  `**Ratio: ${fmt(ratio, 2)}x socket.io's deliveries per second at p99 ≤ ${BUDGET} ms** (target ≥ 3x); ${fmt(ratioAt(BUDGET / 2), 2)}x at p99 ≤ ${BUDGET / 2} ms,`,
  `${fmt(ratioAt(BUDGET * 2), 2)}x at p99 ≤ ${BUDGET * 2} ms, ${fmt(peak('switchboard') / peak('socketio'), 2)}x at saturation (${fmt(peak('switchboard'))} against ${fmt(peak('socketio'))} deliveries/s with every`,
  'message delivered, p99 under 2 s). The ratios depend on the rate steps: the best step of each server is a lower bound of what it',
  'sustains (— means no step met the budget). Switchboard also pays, per publish, a Redis stream write (XADD in a Lua script, the',
  "history that recovery reads) and an acknowledgement to the publisher; socket.io's adapter stores nothing and acknowledges nothing.",
  `Publisher acknowledgements (Switchboard): ${fmt(results.switchboard.acks)} acks, ${fmt(results.switchboard.publishErrors)} errors; connections closed during the runs:`,
  `${results.switchboard.closedDuringRun} (Switchboard), ${results.socketio.closedDuringRun} (socket.io).`,
  '',
].join('\n');
console.log(section);
console.log(
  JSON.stringify({
    results,
    ratio,
    ratioHalfBudget: ratioAt(BUDGET / 2),
    ratioDoubleBudget: ratioAt(BUDGET * 2),
    ratioSaturation: peak('switchboard') / peak('socketio'),
  }),
);

if (!args['no-write']) {
  writeSection('bench/RESULTS.md', 'cluster-fanout', section);
  console.error('wrote the section of bench/RESULTS.md');
}
