#!/usr/bin/env node
// Feed semantics benchmark: outbound batching and permessage-deflate (deliveries/s, frames and bytes on the wire), and
// the latency of fast subscribers while a class of slow ones stalls, with conflation on vs the default policy.
//
//   node --import tsx bench/feeds-semantics.mjs                 # 3 repeats, writes the bench/RESULTS.md section
//   node --import tsx bench/feeds-semantics.mjs --repeats 1 --no-write
//
// The server (bench/feeds/server.ts, RealtimeServer + MemoryBroker, its own publisher) runs in a child process pinned
// to CPU 1; the subscribers (the engine's Node client, so deflate is real) run here, pinned to CPU 0. Medians of repeats.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect } from '../src/engine/index.ts';
import { maskedTextFrame, openRaw } from './lib/raw-ws.mjs';
import { hasTaskset, pinned } from './lib/harness.mjs';
import { writeSection } from './lib/sections.mjs';

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    subscribers: { type: 'string', default: '50' },
    publications: { type: 'string', default: '5000' },
    'no-write': { type: 'boolean', default: false },
    /** Rebuild the section from the `repeat …` lines of an earlier run's output instead of measuring. */
    from: { type: 'string' },
  },
});
const REPEATS = Number(args.repeats);
const SUBSCRIBERS = Number(args.subscribers);
const PUBLICATIONS = Number(args.publications);
const KEYS = 50;
const SIZE = 120;

if (hasTaskset) spawnSync('taskset', ['-pc', '0', String(process.pid)]);

/** Starts the server child with `env`; resolves with its port and a command function. */
async function startServer(env) {
  const argv = [process.execPath, '--import', 'tsx', 'bench/feeds/server.ts'];
  const [cmd, ...rest] = pinned(1, argv);
  const child = spawn(cmd, rest, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const port = Number((await next()).split(' ')[1]);
  return {
    port,
    async command(line) {
      const answer = next();
      child.stdin.write(`${line}\n`);
      return answer;
    },
    async stop() {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Opens `n` engine clients subscribed to feed:q; each counts frames and publications and records latencies. */
async function subscribers(port, n, deflate) {
  const clients = [];
  for (let i = 0; i < n; i++) {
    const ws = await connect(`ws://127.0.0.1:${port}/ws`, {
      protocols: ['switchboard.v1.json'],
      ...(deflate ? { perMessageDeflate: true } : {}),
    });
    const c = { ws, frames: 0, publications: 0, latencies: [], subscribed: null };
    const ready = new Promise((resolve) => {
      c.subscribed = resolve;
    });
    ws.addEventListener('message', (event) => {
      const m = JSON.parse(String(event.data));
      if (m.type === 'connected') ws.send(JSON.stringify({ type: 'subscribe', channel: 'feed:q', rid: 2 }));
      else if (m.type === 'subscribed') c.subscribed();
      else if (m.type === 'publication' || m.type === 'publications') {
        c.frames++;
        const now = Date.now();
        for (const p of m.type === 'publication' ? [m] : m.publications) {
          c.publications++;
          c.latencies.push(now - p.data.t);
        }
      }
    });
    ws.send(JSON.stringify({ type: 'connect', rid: 1 }));
    await ready;
    clients.push(c);
  }
  return clients;
}

const UPGRADE = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: switchboard.v1.json\r\n\r\n`;
const T_FIELD = /"t":(\d+)/;

/**
 * `n` raw subscribers (no WebSocket library, no JSON parse of publications: the publish time is read with a regular
 * expression), so the latency measured is the server's, not a busy client's. With `stall`, they stop reading right
 * after subscribing: the slow class.
 */
async function rawSubscribers(port, n, stall) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = { socket: null, publications: 0, latencies: [] };
    let subscribed;
    const ready = new Promise((resolve) => {
      subscribed = resolve;
    });
    c.socket = await openRaw({
      port,
      request: UPGRADE,
      onText: (payload, s) => {
        const text = payload.toString('latin1');
        if (text.startsWith('{"type":"publication"')) {
          c.publications++;
          const m = T_FIELD.exec(text);
          if (m !== null) c.latencies.push(Date.now() - Number(m[1]));
        } else if (text.includes('"connected"'))
          s.write(maskedTextFrame(JSON.stringify({ type: 'subscribe', channel: 'feed:q', rid: 2 })));
        else if (text.includes('"subscribed"')) subscribed();
      },
      onClose: () => {},
    });
    c.socket.on('error', () => {});
    c.socket.write(maskedTextFrame(JSON.stringify({ type: 'connect', rid: 1 })));
    await ready;
    if (stall) c.socket.pause();
    out.push(c);
  }
  return out;
}

function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function until(predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/** Throughput run: PUBLICATIONS as fast as the server can, to SUBSCRIBERS; frames and bytes per delivery. */
async function throughput(batch, deflate) {
  const server = await startServer({ BATCH: batch ? '1' : '0', DEFLATE: deflate ? '1' : '0', POLICY: 'wait' });
  try {
    const clients = await subscribers(server.port, SUBSCRIBERS, deflate);
    const [, bytes0, cpu0] = (await server.command('mark')).split(' ').map(Number);
    const started = performance.now();
    await server.command(`burst ${PUBLICATIONS} ${KEYS} ${SIZE}`);
    const complete = await until(() => clients.every((c) => c.publications >= PUBLICATIONS), 120_000);
    const elapsed = (performance.now() - started) / 1000;
    const [, bytes1, cpu1] = (await server.command('mark')).split(' ').map(Number);
    const deliveries = clients.reduce((n, c) => n + c.publications, 0);
    const frames = clients.reduce((n, c) => n + c.frames, 0);
    for (const c of clients) c.ws.close();
    return {
      complete,
      deliveriesPerSecond: deliveries / elapsed,
      framesPerDelivery: frames / deliveries,
      bytesPerDelivery: (bytes1 - bytes0) / deliveries,
      cpuUsPerDelivery: ((cpu1 - cpu0) * 1000) / deliveries,
    };
  } finally {
    await server.stop();
  }
}

/** Latency run: 20 fast subscribers (+ 20 stalled ones when `slow`), 1,000 publications/s of ~1 KB for 5 s. */
async function latency(slow, conflate) {
  const server = await startServer({ CONFLATE: conflate ? '1' : '0', POLICY: 'close', SLOW_BYTES: '1048576' });
  try {
    const fast = await rawSubscribers(server.port, 20, false);
    const stalls = slow ? await rawSubscribers(server.port, 20, true) : [];
    await server.command('rate 1000 5 20 1000');
    const complete = await until(() => fast.every((c) => c.publications >= 5000), 20_000);
    const open = Number((await server.command('mark')).split(' ')[3]);
    const latencies = fast.flatMap((c) => c.latencies);
    for (const c of [...fast, ...stalls]) c.socket.destroy();
    return {
      complete,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      received: latencies.length,
      slowOpen: open - fast.length,
    };
  } finally {
    await server.stop();
  }
}

const runs = { throughput: {}, latency: {} };
let repeatsDone = REPEATS;
const THROUGHPUT = [
  ['batching off, deflate off', false, false],
  ['batching on, deflate off', true, false],
  ['batching off, deflate on', false, true],
  ['batching on, deflate on', true, true],
];
const LATENCY = [
  ['no slow subscribers', false, false],
  ['20 stalled subscribers, default policy (close)', true, false],
  ['20 stalled subscribers, conflate on', true, true],
];
if (args.from !== undefined) {
  // `repeat <n> <name>: <json>` lines, as printed below.
  const { readFileSync } = await import('node:fs');
  const names = new Set([...THROUGHPUT, ...LATENCY].map(([name]) => name));
  let most = 0;
  for (const line of readFileSync(args.from, 'utf8').split('\n')) {
    const m = /^repeat (\d+) (.+?): (\{.*\})$/.exec(line);
    if (m === null || !names.has(m[2])) continue;
    most = Math.max(most, Number(m[1]));
    const kind = THROUGHPUT.some(([name]) => name === m[2]) ? 'throughput' : 'latency';
    runs[kind][m[2]] = [...(runs[kind][m[2]] ?? []), JSON.parse(m[3])];
  }
  repeatsDone = most;
} else {
  for (let r = 0; r < REPEATS; r++) {
    for (const [name, batch, deflate] of THROUGHPUT) {
      const result = await throughput(batch, deflate);
      runs.throughput[name] = [...(runs.throughput[name] ?? []), result];
      console.log(`repeat ${r + 1} ${name}: ${JSON.stringify(result)}`);
    }
    for (const [name, slow, conflate] of LATENCY) {
      const result = await latency(slow, conflate);
      runs.latency[name] = [...(runs.latency[name] ?? []), result];
      console.log(`repeat ${r + 1} ${name}: ${JSON.stringify(result)}`);
    }
  }
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** Median over the complete runs (a run whose fast subscribers never got everything is counted apart). */
const m = (list, key) => median(list.filter((x) => x.complete).map((x) => x[key]));
const incomplete = (list) => list.filter((x) => !x.complete).length;
let body = `## Feed semantics: outbound batching, permessage-deflate, conflation (${new Date().toISOString().slice(0, 10)})\n\n`;
body += `\`node --import tsx bench/feeds-semantics.mjs\`: server (RealtimeServer + MemoryBroker, its own publisher) pinned to CPU 1, `;
body += `subscribers (the engine's Node client for throughput, raw sockets for latency) on CPU 0; medians of ${repeatsDone} repeats, on a machine shared with other work (the latency figures especially are noisy). Bytes are what the server process `;
body += `wrote (\`/proc/self/io\` wchar), per delivery.\n\n`;
body += `Throughput: ${fmt(PUBLICATIONS)} publications of ~${SIZE + 60} B JSON (${KEYS} keys) as fast as the server takes them, to ${SUBSCRIBERS} subscribers of one channel (policy \`wait\`). The payload's padding is one repeated letter: deflate's ratio here is far above what real JSON gets; the frame and CPU figures are what to read.\n\n`;
body +=
  '| configuration | deliveries/s | frames per delivery | bytes per delivery | server CPU µs per delivery |\n|---|---|---|---|---|\n';
for (const [name] of THROUGHPUT) {
  const list = runs.throughput[name];
  body += `| ${name} | ${fmt(m(list, 'deliveriesPerSecond'))} | ${fmt(m(list, 'framesPerDelivery'), 3)} | ${fmt(m(list, 'bytesPerDelivery'), 1)} | ${fmt(m(list, 'cpuUsPerDelivery'), 2)} |\n`;
}
body += `\nSlow consumers: 20 fast subscribers read 1,000 publications/s of ~1 KB (20 keys) for 5 s, all subscribers raw sockets (latency read from the frame text); the slow class is 20 subscribers that stop reading after subscribing. \`slowConsumerBytes\` 1 MiB. Latency is publish-to-receive (ms, one clock).\n\n`;
body +=
  '| configuration | fast p50 ms | fast p99 ms | slow subscribers still connected at the end | runs where the fast subscribers did not get everything |\n|---|---|---|---|---|\n';
for (const [name] of LATENCY) {
  const list = runs.latency[name];
  body += `| ${name} | ${fmt(m(list, 'p50'))} | ${fmt(m(list, 'p99'))} | ${m(list, 'slowOpen')} | ${incomplete(list)} of ${list.length} |\n`;
}
console.log(`\n${body}`);
if (!args['no-write']) writeSection('bench/RESULTS.md', 'feeds-semantics', body);
process.exit(0);
