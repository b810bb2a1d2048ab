// The built-in demo source: what it generates, its positions, and that ack, deadLetter, retry, pause and close
// behave as the Source contract says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createDemoSource,
  DEMO_CITIES,
  DEMO_SYMBOLS,
  demoSourceOptionsSchema,
  type Source,
  type SourceMessage,
} from '../../src/ingest/index.ts';

const decode = (m: SourceMessage): Record<string, unknown> =>
  JSON.parse(new TextDecoder().decode(m.payload)) as Record<string, unknown>;

/** Waits until `done()` holds, polling; fails after `timeoutMs`. */
async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Starts a source that acks everything and records it. */
async function collect(source: Source): Promise<SourceMessage[]> {
  const seen: SourceMessage[] = [];
  await source.start(async (m) => {
    seen.push(m);
    await m.ack();
  });
  return seen;
}

test('demo prices: every tick gives one message per symbol, a random walk with growing volume', async () => {
  const source = createDemoSource('demo-prices', { kind: 'demo', generator: 'prices', intervalMs: 20 });
  assert.equal(source.kind, 'demo');
  assert.equal(source.name, 'demo-prices');
  assert.equal(source.status().state, 'connecting');
  const seen = await collect(source);
  await until(() => seen.length >= DEMO_SYMBOLS.length * 3, 'three ticks');
  assert.equal(source.status().state, 'running');
  await source.close();
  assert.equal(source.status().state, 'closed');

  assert.equal(DEMO_SYMBOLS.length, 20);
  const firstTick = seen.slice(0, DEMO_SYMBOLS.length);
  assert.deepEqual(
    firstTick.map((m) => m.subject),
    DEMO_SYMBOLS.map(([s]) => `prices.${s}`),
  );
  for (const m of seen) {
    const p = decode(m);
    assert.deepEqual(Object.keys(p).sort(), ['change', 'changePct', 'price', 'symbol', 'time', 'volume']);
    assert.equal(m.subject, `prices.${p['symbol']}`);
    assert.ok(typeof p['price'] === 'number' && p['price'] > 0);
    assert.equal(typeof p['change'], 'number');
    assert.equal(typeof p['changePct'], 'number');
    assert.equal(p['time'], m.timestamp);
  }
  const acme = seen.filter((m) => m.subject === 'prices.ACME').map(decode);
  assert.ok(acme.length >= 3);
  for (let i = 1; i < acme.length; i++)
    assert.ok((acme[i]!['volume'] as number) > (acme[i - 1]!['volume'] as number), 'volume grows every tick');
  const start = DEMO_SYMBOLS[0]![1];
  const last = acme.at(-1)!;
  assert.equal(last['change'], Math.round(((last['price'] as number) - start) * 100) / 100, 'change is from the open');

  const positions = seen.map((m) => m.position);
  assert.equal(new Set(positions).size, positions.length, 'positions are unique');
  const [boot] = positions[0]!.split(':');
  assert.match(positions[0]!, /^[0-9a-f]{8}:1$/);
  assert.ok(
    positions.every((p, i) => p === `${boot}:${i + 1}`),
    'positions count up within a run',
  );
});

test('demo prices: two runs never share a position (a restart is not a redelivery)', async () => {
  const a = createDemoSource('a', { kind: 'demo', generator: 'prices', intervalMs: 1000 });
  const b = createDemoSource('a', { kind: 'demo', generator: 'prices', intervalMs: 1000 });
  const seenA = await collect(a);
  const seenB = await collect(b);
  await until(() => seenA.length >= 20 && seenB.length >= 20, 'one tick each');
  await Promise.all([a.close(), b.close()]);
  const overlap = seenA.filter((m) => seenB.some((n) => n.position === m.position));
  assert.deepEqual(overlap, []);
});

test('demo weather: 5 cities per tick with their fields', async () => {
  const source = createDemoSource('demo-weather', { kind: 'demo', generator: 'weather', intervalMs: 20 });
  const seen = await collect(source);
  await until(() => seen.length >= DEMO_CITIES.length * 2, 'two ticks');
  await source.close();
  assert.deepEqual(
    seen.slice(0, 5).map((m) => m.subject),
    DEMO_CITIES.map(([c]) => `weather.${c}`),
  );
  for (const m of seen) {
    const w = decode(m);
    assert.deepEqual(Object.keys(w).sort(), ['city', 'condition', 'humidity', 'temperatureC', 'time', 'windKph']);
    assert.ok((w['humidity'] as number) >= 0 && (w['humidity'] as number) <= 100);
    assert.ok((w['windKph'] as number) >= 0);
    assert.ok(['clear', 'cloudy', 'rain', 'wind', 'fog', 'snow'].includes(w['condition'] as string));
  }
});

test('demo source: retry delivers the same message again next; deadLetter settles and moves on', async () => {
  const source = createDemoSource('r', { kind: 'demo', generator: 'prices', intervalMs: 20 });
  const seen: string[] = [];
  let refusals = 0;
  await source.start(async (m) => {
    seen.push(m.position);
    if (m.subject === 'prices.BOLT' && refusals < 2) {
      refusals++;
      await m.retry();
      return;
    }
    if (m.subject === 'prices.CRUX') {
      await m.deadLetter('no_channel');
      await m.ack(); // settling twice is harmless
      return;
    }
    await m.ack();
  });
  await until(() => seen.length >= 25, 'a tick and a bit');
  await source.close();
  const [p1, p2] = [seen[0]!, seen[1]!];
  assert.deepEqual(seen.slice(0, 5), [p1, p2, p2, p2, seen[4]], 'BOLT delivered three times in a row, then CRUX');
  assert.notEqual(seen[4], p2);
  assert.equal(new Set(seen.slice(4)).size, seen.length - 4, 'nothing else repeats');
});

test('demo source: pause stops the ticks, resume goes on, close waits for the delivery in flight', async () => {
  const source = createDemoSource('p', { kind: 'demo', generator: 'weather', intervalMs: 10 });
  const seen = await collect(source);
  await until(() => seen.length >= 5, 'a tick');
  source.pause();
  assert.equal(source.status().state, 'paused');
  // The delivery in flight when pausing settles; then nothing more may arrive while paused.
  await new Promise((r) => setTimeout(r, 50));
  const held = seen.length;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(seen.length, held, 'no message while paused');
  source.resume();
  assert.equal(source.status().state, 'running');
  await until(() => seen.length >= held + 5, 'ticks after resume');

  let inFlight = false;
  let finished = false;
  const slow = createDemoSource('slow', { kind: 'demo', generator: 'weather', intervalMs: 10 });
  await slow.start(async (m) => {
    inFlight = true;
    await new Promise((r) => setTimeout(r, 100));
    await m.ack();
    finished = true;
  });
  await until(() => inFlight, 'a delivery in flight');
  await slow.close();
  assert.ok(finished, 'close waited for the delivery');
  await source.close();
  await assert.rejects(
    source.start(async () => {}),
    /already started/,
  );
});

test('demo source options: checked by the schema, with errors that name the field', () => {
  assert.equal(demoSourceOptionsSchema.safeParse({ kind: 'demo', generator: 'prices' }).success, true);
  for (const bad of [
    { kind: 'demo', generator: 'stocks' },
    { kind: 'demo' },
    { kind: 'nats', generator: 'prices' },
    { kind: 'demo', generator: 'prices', intervalMs: 0 },
    { kind: 'demo', generator: 'prices', intervalMs: 1.5 },
    { kind: 'demo', generator: 'prices', extra: true },
  ]) {
    const result = demoSourceOptionsSchema.safeParse(bad);
    assert.equal(result.success, false, JSON.stringify(bad));
  }
  const result = demoSourceOptionsSchema.safeParse({ kind: 'demo', generator: 'prices', intervalMs: 0 });
  assert.deepEqual(result.error?.issues[0]?.path, ['intervalMs']);
  assert.throws(() => createDemoSource('x', { kind: 'demo', generator: 'x' as 'prices' }));
});
