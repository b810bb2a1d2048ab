// docs/security-cases.md PD-13: many compressing connections: zlib jobs capped by the shared limiter, memory flat over rounds, idle connections hold no zlib streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { connect, type WebSocket } from '../../src/engine/index.ts';
import { sharedZlibLimiter } from '../../src/engine/zlib-limiter.ts';
import { kAdapter } from '../../src/engine/websocket.ts';
import { startServer, waitFor } from '../helpers/engine-fixtures.ts';
import { MiB } from '../helpers/memory.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('200 connections compressing at once: at most `concurrency` zlib jobs run, memory is flat across rounds, and with no_context_takeover idle connections hold no zlib memory (docs/security-cases.md PD-13)', async (t) => {
  const CONNS = 200;
  const { wss, url } = await startServer(t, {
    pingIntervalMs: 0,
    perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, concurrency: 3 },
  });
  let echoed = 0;
  wss.on('connection', (ws: WebSocket) => {
    ws.onmessage = (e) => {
      echoed++;
      ws.send(e.data as string);
    };
  });
  const clients: WebSocket[] = [];
  let received = 0;
  for (let i = 0; i < CONNS; i++) {
    const c = await connect(url, {
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, concurrency: 3 },
    });
    c.onmessage = () => received++;
    clients.push(c);
  }
  t.after(() => {
    for (const c of clients) c.terminate();
  });
  const limiter = sharedZlibLimiter(3);
  let maxRunning = 0;
  let maxPending = 0;
  const sampler = setInterval(() => {
    maxRunning = Math.max(maxRunning, limiter.running);
    maxPending = Math.max(maxPending, limiter.pending);
  }, 1);
  t.after(() => clearInterval(sampler));
  const message = JSON.stringify({ event: 'tick', data: 'payload '.repeat(2000) });
  const samples: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (const c of clients) c.send(message);
    const want = (round + 1) * CONNS;
    await waitFor(() => received >= want, `round ${round} echoes`, 30_000);
    await new Promise((r) => setTimeout(r, 20));
    samples.push(retained());
  }
  clearInterval(sampler);
  assert.equal(echoed, 4 * CONNS);
  assert.ok(maxRunning <= 3, `at most 3 zlib jobs at once, saw ${maxRunning}`);
  assert.ok(maxPending > 0, 'the burst queued behind the limiter');
  // Rounds 2-4 retain about what round 1 did: nothing accumulates per message.
  const growth = samples[3]! - samples[1]!;
  assert.ok(
    growth < 8 * MiB,
    `retained grew ${(growth / MiB).toFixed(1)} MiB between rounds 2 and 4 (${samples.map((s) => (s / MiB).toFixed(1)).join(', ')} MiB)`,
  );
  // Idle: no_context_takeover released every stream after its message, on both sides.
  const holding = [...wss.clients, ...clients].filter(
    (ws) => ws[kAdapter]()?.deflate?.deflate.holdsZlibMemory === true,
  ).length;
  assert.equal(holding, 0, `${holding} idle connections still hold zlib streams`);
});

test('context takeover keeps one stream per direction per busy connection, and closing releases them', async (t) => {
  const { wss, url } = await startServer(t, { pingIntervalMs: 0, perMessageDeflate: true });
  const server = new Promise<WebSocket>((r) => wss.once('connection', r));
  const c = await connect(url, { perMessageDeflate: true });
  const s = await server;
  s.onmessage = (e) => s.send(e.data as string);
  const got = new Promise<unknown>((r) => (c.onmessage = (e) => r(e.data)));
  c.send('with context '.repeat(200));
  await got;
  const serverChannel = s[kAdapter]()!.deflate!;
  assert.equal(serverChannel.deflate.holdsZlibMemory, true);
  const closed = new Promise<void>((r) => (s.onclose = () => r()));
  c.close();
  await closed;
  assert.equal(serverChannel.deflate.holdsZlibMemory, false, 'released on close');
});
