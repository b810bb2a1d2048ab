// Fault (d): 1,000 clients lose the server at the same instant; full jitter spreads their first attempts over the backoff window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, Client } from '../../src/client/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';

const CLIENTS = 1000;
const WINDOW_MS = 1000;
const BUCKET_MS = 100;

test('backoffDelay draws in [0, min(max, min*factor^attempt)) (full jitter)', () => {
  assert.equal(backoffDelay(0, { minDelayMs: 100, random: () => 0 }), 0);
  assert.equal(backoffDelay(0, { minDelayMs: 100, random: () => 0.999 }), 99);
  assert.equal(backoffDelay(3, { minDelayMs: 100, maxDelayMs: 10_000, factor: 2, random: () => 0.5 }), 400);
  assert.equal(backoffDelay(30, { minDelayMs: 100, maxDelayMs: 5000, factor: 2, random: () => 0.5 }), 2500);
  assert.throws(() => backoffDelay(0, { minDelayMs: 10, maxDelayMs: 5 }), RangeError);
  assert.throws(() => backoffDelay(0, { factor: 0.5 }), RangeError);
});

test('client: 1,000 clients cut at once spread their reconnect attempts over the backoff window', {
  timeout: 120_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const proxy = await startProxy(t, server.port);
  const token = await tokenFor('crowd');
  const clients: Client[] = [];
  t.after(() => {
    for (const c of clients) c.close();
  });
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(
      new Client({
        url: `ws://127.0.0.1:${proxy.port}/ws`,
        transport: engineTransport,
        token,
        reconnect: { minDelayMs: WINDOW_MS, maxDelayMs: 30_000, factor: 2 },
        pingIntervalMs: 0,
        connectTimeoutMs: 30_000,
      }),
    );
  }
  for (let i = 0; i < CLIENTS; i += 100) await Promise.all(clients.slice(i, i + 100).map((c) => c.connect()));
  let lost = 0;
  let reconnected = 0;
  const started: number[] = [];
  const scheduled: number[] = [];
  const waited: number[] = [];
  for (const c of clients) {
    let lostAt = 0;
    c.on('statechange', (s) => {
      if (s.state === 'disconnected') {
        lost++;
        lostAt = Date.now();
        scheduled.push(s.retryInMs ?? -1);
      }
      if (s.state === 'connecting' && s.reason === 'reconnect') {
        started.push(Date.now());
        waited.push(Date.now() - lostAt);
      }
      if (s.state === 'connected') reconnected++;
    });
  }
  const before = proxy.accepted.length;
  const cutAt = Date.now();
  assert.equal(proxy.cut(), CLIENTS);
  await waitFor(
    () => lost >= CLIENTS && reconnected >= CLIENTS,
    60_000,
    () => `(${lost} lost, ${reconnected} back)`,
  );
  // The attempt instants as the clients start them (their timers), and as the proxy accepts them (one shared event loop
  // serves 1,000 clients, the proxy and the hub here, so accept times also carry that queueing).
  const accepts = proxy.accepted
    .slice(before)
    .map((at) => at - cutAt)
    .sort((a, b) => a - b);
  const firsts = started
    .slice(0, CLIENTS)
    .map((at) => at - cutAt)
    .sort((a, b) => a - b);
  const attempts = started;
  const buckets = Array.from({ length: Math.ceil(WINDOW_MS / BUCKET_MS) + 1 }, () => 0);
  for (const ms of waited) buckets[Math.min(buckets.length - 1, Math.floor(ms / BUCKET_MS))]!++;
  const pct = (p: number): number => firsts[Math.min(firsts.length - 1, Math.floor(p * firsts.length))]!;
  const figures = {
    clients: CLIENTS,
    windowMs: WINDOW_MS,
    attempts: attempts.length,
    firstMs: firsts[0],
    p5: pct(0.05),
    p50: pct(0.5),
    p95: pct(0.95),
    lastMs: firsts[firsts.length - 1],
    waitedPer100ms: buckets,
    busiestBucketShare: Math.max(...buckets) / CLIENTS,
    scheduledMs: {
      min: Math.min(...scheduled),
      max: Math.max(...scheduled),
      mean: Math.round(scheduled.reduce((a, b) => a + b, 0) / scheduled.length),
    },
    proxyAcceptMs: {
      p5: accepts[Math.floor(0.05 * accepts.length)],
      p50: accepts[Math.floor(0.5 * accepts.length)],
      p95: accepts[Math.floor(0.95 * accepts.length)],
    },
  };
  console.log(`# fault (d) figures ${JSON.stringify(figures)}`);
  // The delays the clients drew (their decisions) are uniform over [0, 1000): each 100 ms slice expects 100 of them,
  // a bound of 200 is ten standard deviations away. Without jitter all 1,000 would fall in one slice.
  const drawn = Array.from({ length: WINDOW_MS / BUCKET_MS }, () => 0);
  for (const ms of scheduled) drawn[Math.min(drawn.length - 1, Math.floor(ms / BUCKET_MS))]!++;
  console.log(`# fault (d) drawn delays per 100 ms: ${JSON.stringify(drawn)}`);
  assert.equal(scheduled.length, CLIENTS);
  assert.ok(Math.max(...scheduled) < WINDOW_MS && Math.min(...scheduled) >= 0);
  assert.ok(Math.max(...drawn) <= 200 && Math.min(...drawn) >= 40, `drawn delays spread evenly: ${drawn.join(',')}`);
  // The waits as measured (timers plus event-loop queueing of one process serving 1,000 clients, the proxy and the hub)
  // still spread over most of the window.
  const sortedWaits = [...waited].sort((a, b) => a - b);
  const w = (p: number): number => sortedWaits[Math.min(sortedWaits.length - 1, Math.floor(p * sortedWaits.length))]!;
  assert.ok(
    w(0.95) - w(0.05) >= 0.6 * WINDOW_MS,
    `measured waits span most of the window (p5 ${w(0.05)} ms, p95 ${w(0.95)} ms)`,
  );
  assert.ok(pct(0.95) - pct(0.05) >= 0.5 * WINDOW_MS, 'attempt instants after the cut spread over the window');
});
