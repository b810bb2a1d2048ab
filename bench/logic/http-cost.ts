// What one proxied call costs the server's CPU, next to the HTTP clients it could be built on: createHttpProxy's
// onPublish (publish pipelined or not), a bare node:http POST over a keep-alive Agent (with and without an AbortSignal per request, and with a
// timer that destroys the request instead), and undici's Pool. Same body, same backend (bench/logic/backend.mjs,
// pinned to CPU 0), 64 calls in flight, CPU of this process per call. Explains the proxy row of bench/logic.mjs.
//
//   taskset -c 1 node --import tsx bench/logic/http-cost.ts [--calls 20000]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createHttpProxy } from '../../src/integrations/index.ts';
import type { PublishContext } from '../../src/realtime/index.ts';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '20000' } } });
const CALLS = Number(args.calls);
const IN_FLIGHT = 64;
const DEADLINE_MS = 3000;

const backend = spawn('taskset', ['-c', '0', process.execPath, 'bench/logic/backend.mjs'], {
  stdio: ['pipe', 'pipe', 'ignore'],
});
const port = await new Promise<number>((resolve) => {
  backend.stdout!.on('data', (d: Buffer) => {
    const m = /listening (\d+)/.exec(String(d));
    if (m !== null) resolve(Number(m[1]));
  });
});

const context: PublishContext = {
  client: 'c'.repeat(32),
  user: `anon-${'a'.repeat(32)}`,
  anonymous: true,
  roles: ['user'],
  info: null,
  remoteAddress: '127.0.0.1',
  transport: 'websocket',
  channel: 'bench:logic',
  namespace: 'bench',
  data: { text: 'hello from publisher 17', n: 1 },
};
// The proxy's request body, near enough: the caller, the channel and the data.
const body = JSON.stringify({ request: 'publish', id: 'x'.repeat(32), ...context });
const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
const target = { host: '127.0.0.1', port, path: '/publish', method: 'POST', agent, headers };

function readAll(res: http.IncomingMessage, done: () => void): void {
  res.on('data', () => {});
  res.on('end', done);
}

const clients: Record<string, () => Promise<unknown>> = {
  'createHttpProxy onPublish (signed)': (() => {
    const proxy = createHttpProxy({
      namespaces: { bench: { publish: `http://127.0.0.1:${port}/publish` } },
      secret: 'bench-proxy-secret',
    });
    return async () => {
      const answer = await proxy.onPublish!(context);
      if (answer !== undefined && 'refuse' in answer) throw new Error(JSON.stringify(answer));
    };
  })(),
  'createHttpProxy onPublish (signed, publish pipelined)': (() => {
    const proxy = createHttpProxy({
      namespaces: { bench: { publish: `http://127.0.0.1:${port}/publish` } },
      secret: 'bench-proxy-secret',
      pipelinedKinds: ['publish'],
    });
    return async () => {
      const answer = await proxy.onPublish!(context);
      if (answer !== undefined && 'refuse' in answer) throw new Error(JSON.stringify(answer));
    };
  })(),
  'node:http, keep-alive Agent': () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(target, (res) => readAll(res, resolve));
      req.on('error', reject);
      req.end(body);
    }),
  'node:http + AbortSignal per request': () =>
    new Promise<void>((resolve, reject) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), DEADLINE_MS);
      const req = http.request({ ...target, signal: controller.signal }, (res) =>
        readAll(res, () => {
          clearTimeout(timer);
          resolve();
        }),
      );
      req.on('error', reject);
      req.end(body);
    }),
  'node:http + setTimeout/destroy': () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(target, (res) =>
        readAll(res, () => {
          clearTimeout(timer);
          resolve();
        }),
      );
      const timer = setTimeout(() => req.destroy(new Error('deadline')), DEADLINE_MS);
      req.on('error', reject);
      req.end(body);
    }),
  'undici Pool.request': (() => {
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: IN_FLIGHT });
    return async () => {
      const res = await pool.request({ path: '/publish', method: 'POST', headers, body });
      await res.body.text();
    };
  })(),
};

async function measure(call: () => Promise<unknown>, calls: number): Promise<{ perSec: number; cpuUs: number }> {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < calls) await call();
    }),
  );
  const used = process.cpuUsage(cpu);
  return { perSec: (calls / (performance.now() - started)) * 1000, cpuUs: (used.user + used.system) / calls };
}

const results: Record<string, number[]> = {};
// Two rounds, each client warmed up first; the smaller CPU figure of the two is the less disturbed one.
for (let round = 0; round < 2; round++) {
  for (const [name, call] of Object.entries(clients)) {
    await measure(call, Math.min(3000, CALLS));
    const r = await measure(call, CALLS);
    const list = results[name] ?? [];
    list.push(r.cpuUs);
    results[name] = list;
    process.stderr.write(`${name}: ${Math.round(r.perSec)} calls/s, ${r.cpuUs.toFixed(1)} µs CPU per call\n`);
  }
}
console.log('| client | µs of CPU per call (best of 2) |\n|---|--:|');
for (const [name, xs] of Object.entries(results)) console.log(`| ${name} | ${Math.min(...xs).toFixed(1)} |`);
backend.stdin!.end();
backend.kill();
process.exit(0);
