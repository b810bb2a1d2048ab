#!/usr/bin/env node
// Fan-out benchmark of the real-time layer: one publisher to N subscribers of one channel, Switchboard
// (RealtimeServer + MemoryBroker, JSON subprotocol) against socket.io's room broadcast, in the same run.
//
//   node bench/realtime-fanout.mjs                      # 10,000 subscribers, 3 repeats, writes bench/RESULTS.md section
//   node bench/realtime-fanout.mjs --clients 2000 --repeats 1 --no-write
//
// Each server runs in its own process pinned to CPU 1 (taskset when present); the lean load client
// (bench/realtime/load.mjs: raw `net` sockets, minimal frame parsing) runs pinned to CPU 0 and reports its own
// CPU, so a saturated client is visible. Servers alternate order between repeats; medians are reported.
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { hasTaskset, helpFromHeader, pinned } from './lib/harness.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '3' },
    'latency-messages': { type: 'string', default: '30' },
    'throughput-messages': { type: 'string', default: '150' },
    window: { type: 'string', default: '8' },
    size: { type: 'string', default: '100' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
helpFromHeader(args.help, import.meta.url, 11);

const pin = (cpu, argv) => pinned(cpu, argv);

const SERVERS = {
  switchboard: [process.execPath, '--import', 'tsx', 'bench/realtime/switchboard-server.ts'],
  socketio: [process.execPath, 'bench/servers/socketio-room.mjs'],
};

function startServer(name) {
  const [cmd, ...rest] = pin(1, SERVERS[name]);
  const child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

function runLoad(name, port, pid) {
  const [cmd, ...rest] = pin(0, [
    process.execPath,
    'bench/realtime/load.mjs',
    '--target',
    name,
    '--port',
    String(port),
    '--server-pid',
    String(pid),
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
  ]);
  const result = spawnSync(cmd, rest, {
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (result.status !== 0) throw new Error(`load client for ${name} failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

async function measure(name) {
  const { child, port } = await startServer(name);
  try {
    return runLoad(name, port, child.pid);
  } finally {
    child.stdin.end();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

function availableCpus() {
  return spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || '?';
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const loadAtStart = loadavg()[0];
const runs = { switchboard: [], socketio: [] };
const repeats = Number(args.repeats);
for (let r = 0; r < repeats; r++) {
  const order = r % 2 === 0 ? ['switchboard', 'socketio'] : ['socketio', 'switchboard'];
  for (const name of order) {
    const result = await measure(name);
    runs[name].push(result);
    console.error(
      `repeat ${r + 1}/${repeats} ${name}: ${Math.round(result.throughput.deliveriesPerSec)} deliveries/s, p99 ${result.latency.p99Ms.toFixed(1)} ms, server ${result.throughput.serverCpuUsPerDelivery.toFixed(2)} µs/delivery, client CPU ${Math.round(result.throughput.clientCpuMs)} ms / ${Math.round(result.throughput.ms)} ms`,
    );
  }
}

const summary = {};
for (const [name, list] of Object.entries(runs)) {
  summary[name] = {
    deliveriesPerSec: median(list.map((x) => x.throughput.deliveriesPerSec)),
    p50Ms: median(list.map((x) => x.latency.p50Ms)),
    p99Ms: median(list.map((x) => x.latency.p99Ms)),
    serverUsPerDelivery: median(list.map((x) => x.throughput.serverCpuUsPerDelivery)),
    clientCpuShare: median(list.map((x) => x.throughput.clientCpuMs / x.throughput.ms)),
    setupMs: median(list.map((x) => x.setupMs)),
  };
}
const ratio = summary.switchboard.deliveriesPerSec / summary.socketio.deliveriesPerSec;
const command = `node bench/realtime-fanout.mjs ${process.argv.slice(2).join(' ')}`.trim();
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (name, label) => {
  const s = summary[name];
  return `| ${label} | ${fmt(s.deliveriesPerSec)} | ${fmt(s.p50Ms, 1)} | ${fmt(s.p99Ms, 1)} | ${fmt(s.serverUsPerDelivery, 2)} | ${fmt(s.clientCpuShare * 100)}% |`;
};
const section = [
  '## Real-time fan-out: one publisher, 10,000 subscribers of one channel',
  '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${repeats} repeat(s), medians; ${args.clients} subscribers,`,
  `${args.size}-byte payloads; latency: ${args['latency-messages']} messages one at a time; throughput: ${args['throughput-messages']} messages, ${args.window} in flight).`,
  `Servers pinned to CPU 1, the load client (bench/realtime/load.mjs, raw \`net\`) to CPU 0${hasTaskset ? '' : ' (taskset missing: not pinned)'}.`,
  `1-minute load average at start: ${loadAtStart.toFixed(1)} on ${availableCpus()} CPUs; on a shared machine the server CPU per delivery is the steadier figure`,
  `(ratio ${(summary.socketio.serverUsPerDelivery / summary.switchboard.serverUsPerDelivery).toFixed(2)}x in socket.io's disfavour).`,
  '',
  '| server | deliveries/s | publish→delivery p50 ms | p99 ms | server CPU µs/delivery | load-client CPU |',
  '|---|---|---|---|---|---|',
  row('switchboard', 'Switchboard RealtimeServer (JSON, MemoryBroker, history on)'),
  row('socketio', 'socket.io room broadcast (websocket transport)'),
  '',
  `**Ratio: ${ratio.toFixed(2)}x socket.io's deliveries per second** (target ≥ 3x).`,
  "Latency is per delivery, from the publisher's send to each subscriber's receipt with one message in flight, so p99",
  'is the time to reach 99% of the 10,000 subscribers. A load-client CPU near 100% means the client, not the server, limited the run.',
  '',
].join('\n');
console.log(section);
console.log(JSON.stringify({ summary, ratio }));

if (!args['no-write']) {
  writeSection('bench/RESULTS.md', 'realtime-fanout', section);
  console.error('wrote the section of bench/RESULTS.md');
}
