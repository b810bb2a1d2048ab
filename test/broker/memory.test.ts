// Tests of MemoryBroker: the shared Broker contract, plus what only the in-memory broker promises (bounds, clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, type ChannelEvent, type PublishOptions } from '../../src/broker/index.ts';
import { runBrokerContract } from './contract.ts';
import { runLatestContract } from './latest-contract.ts';

runBrokerContract('MemoryBroker', async () => new MemoryBroker());

const HISTORY: PublishOptions = { historySize: 100, historyTtlMs: 60_000 };

test('MemoryBroker.othersListen answers from its handlers: false when only the asking handler (or none) listens', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const mine = (_e: ChannelEvent) => {};
  const theirs = (_e: ChannelEvent) => {};
  assert.equal(broker.othersListen('c', mine), false, 'an unknown channel');
  await broker.subscribe('c', mine);
  assert.equal(broker.othersListen('c', mine), false, 'only the asking handler');
  assert.equal(broker.othersListen('c', theirs), true);
  await broker.subscribe('c', theirs);
  assert.equal(broker.othersListen('c', mine), true, 'two handlers');
  await broker.unsubscribe('c', theirs);
  assert.equal(broker.othersListen('c', mine), false, 'back to one');
  await broker.unsubscribe('c', mine);
  assert.equal(broker.othersListen('c', mine), false, 'none');
});

function fakeClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

test('MemoryBroker gives each instance (each process start) a new epoch', async (t) => {
  const a = new MemoryBroker();
  const b = new MemoryBroker();
  t.after(() => Promise.all([a.close(), b.close()]));
  const ra = await a.publish('chat:x', 1, HISTORY);
  const rb = await b.publish('chat:x', 1, HISTORY);
  assert.notEqual(ra.epoch, rb.epoch);
  assert.match(ra.epoch, /^[A-Za-z0-9_-]{12}$/);
  const h = await b.history('chat:x', { since: { epoch: ra.epoch, offset: 0 } });
  assert.equal(h.recovered, false, 'a restarted broker never claims to recover an old epoch');
});

test('MemoryBroker drops idle channels once their history expired, and the epoch then changes', async (t) => {
  const clock = fakeClock();
  const broker = new MemoryBroker({ now: clock.now, sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const handler = (): void => {};
  await broker.subscribe('chat:a', handler);
  const first = await broker.publish('chat:a', 1, { historySize: 10, historyTtlMs: 1000 });
  await broker.unsubscribe('chat:a', handler);
  broker.sweep();
  assert.equal(broker.stats().channels, 1, 'history still retained: the channel stays');
  clock.advance(1001);
  broker.sweep();
  assert.deepEqual(broker.stats(), { channels: 0, handlers: 0, retained: 0, idempotencyKeys: 0, presence: 0 });
  const again = await broker.publish('chat:a', 2, { historySize: 10, historyTtlMs: 1000 });
  assert.notEqual(again.epoch, first.epoch);
  assert.equal(again.offset, 1);
});

test('MemoryBroker keeps a channel with presence even without handlers or history', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  await broker.addPresence('chat:p', { connection: 'c1', user: 'u' });
  broker.sweep();
  assert.equal(broker.stats().channels, 1);
  await broker.removePresence('chat:p', 'c1');
  assert.equal(broker.stats().channels, 0);
});

test('MemoryBroker bounds idempotency keys, forgetting the oldest first', async (t) => {
  const broker = new MemoryBroker({ maxIdempotencyKeys: 10, sweepIntervalMs: 0 });
  t.after(() => broker.close());
  for (let i = 0; i < 50; i++) await broker.publish('chat:k', i, { ...HISTORY, idempotencyKey: `k${i}` });
  assert.equal(broker.stats().idempotencyKeys, 10);
  assert.equal((await broker.publish('chat:k', 49, { ...HISTORY, idempotencyKey: 'k49' })).duplicate, true);
  assert.equal((await broker.publish('chat:k', 0, { ...HISTORY, idempotencyKey: 'k0' })).duplicate, false);
});

test('MemoryBroker expires idempotency keys with its clock and the sweep', async (t) => {
  const clock = fakeClock();
  const broker = new MemoryBroker({ now: clock.now, idempotencyWindowMs: 1000, sweepIntervalMs: 0 });
  t.after(() => broker.close());
  await broker.publish('chat:k', 1, { ...HISTORY, idempotencyKey: 'k' });
  clock.advance(999);
  assert.equal((await broker.publish('chat:k', 1, { ...HISTORY, idempotencyKey: 'k' })).duplicate, true);
  clock.advance(1);
  assert.equal((await broker.publish('chat:k', 1, { ...HISTORY, idempotencyKey: 'k' })).duplicate, false);
  clock.advance(1000);
  broker.sweep();
  assert.equal(broker.stats().idempotencyKeys, 0);
});

test('MemoryBroker bounds the number of channels by evicting idle ones, never subscribed ones', async (t) => {
  const broker = new MemoryBroker({ maxChannels: 5, sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const handler = (): void => {};
  await broker.subscribe('chat:kept', handler);
  for (let i = 0; i < 100; i++) await broker.publish(`chat:c${i}`, i, HISTORY);
  assert.ok(broker.stats().channels <= 5);
  const kept = await broker.publish('chat:kept', 'x', HISTORY);
  assert.equal(kept.offset, 1);
  assert.equal((await broker.history('chat:c99')).publications.length, 1, 'the most recent channel survives');
});

test('MemoryBroker evicts empty channels before channels with history when a read flood fills the table', async (t) => {
  const broker = new MemoryBroker({ maxChannels: 10, sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const kept = await broker.publish('chat:history', 'keep me', HISTORY);
  for (let i = 0; i < 1000; i++) await broker.history(`chat:made-up-${i}`, { limit: 0 });
  assert.ok(broker.stats().channels <= 10);
  const h = await broker.history('chat:history', { since: { epoch: kept.epoch, offset: 0 } });
  assert.deepEqual([h.recovered, h.publications.map((p) => p.data)], [true, ['keep me']]);
});

test('MemoryBroker retained history stays bounded by historySize under many publishes', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  for (let i = 0; i < 5000; i++) await broker.publish('chat:ring', i, { historySize: 20, historyTtlMs: 60_000 });
  assert.equal(broker.stats().retained, 20);
  assert.deepEqual(
    (await broker.history('chat:ring')).publications.map((p) => p.data),
    Array.from({ length: 20 }, (_, i) => 4980 + i),
  );
});

test('MemoryBroker reports a throwing handler on "error" and still delivers to the others', async (t) => {
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const errors: Error[] = [];
  broker.on('error', (error) => errors.push(error));
  const got: ChannelEvent[] = [];
  await broker.subscribe('chat:e', () => {
    throw new Error('boom');
  });
  await broker.subscribe('chat:e', (event) => got.push(event));
  await broker.publish('chat:e', 1, HISTORY);
  assert.equal(got.length, 1);
  assert.equal(errors.length, 1);
  assert.equal((errors[0]!.cause as Error).message, 'boom');
});

test('MemoryBroker keeps publish order for every handler when a handler publishes re-entrantly', async (t) => {
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const seen: number[] = [];
  await broker.subscribe('chat:r', (event) => {
    if (event.type === 'publication' && event.publication.offset === 1) void broker.publish('chat:r', 'echo', HISTORY);
  });
  await broker.subscribe('chat:r', (event) => {
    if (event.type === 'publication') seen.push(event.publication.offset);
  });
  await broker.publish('chat:r', 'first', HISTORY);
  assert.deepEqual(seen, [1, 2]);
});

test('MemoryBroker drops events queued for a handler that unsubscribes during delivery', async (t) => {
  const broker = new MemoryBroker();
  t.after(() => broker.close());
  const late: number[] = [];
  const lateHandler = (event: ChannelEvent): void => {
    if (event.type === 'publication') late.push(event.publication.offset);
  };
  await broker.subscribe('chat:u', (event) => {
    if (event.type === 'publication' && event.publication.offset === 1) {
      void broker.publish('chat:u', 'second', HISTORY);
      void broker.unsubscribe('chat:u', lateHandler);
    }
  });
  await broker.subscribe('chat:u', lateHandler);
  await broker.publish('chat:u', 'first', HISTORY);
  assert.deepEqual(late, [], 'unsubscribed before its queued events ran');
});

test('MemoryBroker refuses bad constructor limits', () => {
  assert.throws(() => new MemoryBroker({ maxIdempotencyKeys: -1 }), RangeError);
  assert.throws(() => new MemoryBroker({ sweepIntervalMs: Number.NaN }), RangeError);
});

test('MemoryBroker emits status down on close', async () => {
  const broker = new MemoryBroker();
  const statuses: unknown[] = [];
  broker.on('status', (status) => statuses.push(status));
  await broker.close();
  assert.deepEqual(statuses, [{ state: 'down', reason: 'closed' }]);
});

runLatestContract('MemoryBroker', async () => new MemoryBroker());
