// MemoryBroker channel records hold only what they use (one handler as is, presence maps while someone is present):
// behaviour must not change as a record goes from one handler to several and back, or its presence empties and returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, type BrokerChange, type ChannelEvent, type PublishOptions } from '../../src/broker/index.ts';

const HISTORY: PublishOptions = { historySize: 10, historyTtlMs: 60_000 };

function recorder(): { events: ChannelEvent[]; handler: (e: ChannelEvent) => void } {
  const events: ChannelEvent[] = [];
  return { events, handler: (e) => events.push(e) };
}

test('MemoryBroker: handlers going from one to several and back keep delivery, occupied and vacated', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const changes: BrokerChange[] = [];
  broker.on('change', (c: BrokerChange) => changes.push(c));
  const a = recorder();
  const b = recorder();
  await broker.subscribe('c', a.handler);
  await broker.subscribe('c', a.handler); // the same handler twice is one handler
  assert.equal(broker.stats().handlers, 1);
  await broker.subscribe('c', b.handler);
  assert.equal(broker.stats().handlers, 2);
  await broker.publish('c', 1, HISTORY);
  await broker.unsubscribe('c', a.handler);
  await broker.publish('c', 2, HISTORY);
  await broker.unsubscribe('c', a.handler); // not subscribed any more: nothing changes
  assert.equal(broker.stats().handlers, 1);
  await broker.subscribe('c', a.handler);
  await broker.publish('c', 3, HISTORY);
  await broker.unsubscribe('c', b.handler);
  await broker.unsubscribe('c', a.handler);
  await broker.publish('c', 4, HISTORY);
  await broker.signal('c', 'nobody hears this');
  const data = (r: { events: ChannelEvent[] }) =>
    r.events.map((e) => (e.type === 'publication' ? e.publication.data : e.type));
  assert.deepEqual(data(a), [1, 3]);
  assert.deepEqual(data(b), [1, 2, 3]);
  assert.deepEqual(
    changes.map((c) => c.type),
    ['occupied', 'vacated'],
    'occupied on the first handler, vacated on the last',
  );
  assert.equal(broker.stats().handlers, 0);
  assert.equal((await broker.history('c')).publications.length, 4, 'history kept through the changes');
});

test('MemoryBroker: presence that emptied comes back with a join, the right counts and info', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const watcher = recorder();
  await broker.subscribe('room', watcher.handler);
  await broker.addPresence('room', { connection: 'c1', user: 'ann', info: { n: 1 } });
  await broker.addPresence('room', { connection: 'c2', user: 'ann' });
  await broker.removePresence('room', 'c1');
  await broker.removePresence('room', 'c2');
  assert.deepEqual(await broker.presence('room'), []);
  assert.equal(broker.stats().presence, 0);
  await broker.removePresence('room', 'c2'); // already gone: no second leave
  await broker.addPresence('room', { connection: 'c3', user: 'bob', info: 'hi' });
  await broker.addPresence('room', { connection: 'c3', user: 'cat' }); // the connection changes user
  assert.deepEqual(await broker.presence('room'), [{ user: 'cat', connections: 1 }]);
  assert.deepEqual(
    watcher.events.map((e) => (e.type === 'join' || e.type === 'leave' ? `${e.type} ${e.user}` : e.type)),
    ['join ann', 'leave ann', 'join bob', 'leave bob', 'join cat'],
  );
  assert.equal(broker.stats().presence, 1);
});

test('MemoryBroker: a channel with only presence is dropped when it leaves, and starts over when it returns', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  await broker.addPresence('p', { connection: 'c1', user: 'ann' });
  assert.equal(broker.stats().channels, 1, 'presence keeps the channel');
  await broker.removePresence('p', 'c1');
  assert.equal(broker.stats().channels, 0, 'nothing left: the channel is dropped');
  await broker.addPresence('p', { connection: 'c1', user: 'ann' });
  assert.deepEqual(await broker.presence('p'), [{ user: 'ann', connections: 1 }]);
});

test('MemoryBroker: history after an idle drop starts in a new epoch from offset 1', async (t) => {
  let now = 1_700_000_000_000;
  const broker = new MemoryBroker({ sweepIntervalMs: 0, now: () => now });
  t.after(() => broker.close());
  const first = await broker.publish('h', 'old', { historySize: 10, historyTtlMs: 1000 });
  const { handler } = recorder();
  await broker.subscribe('h', handler);
  await broker.unsubscribe('h', handler);
  assert.equal(broker.stats().channels, 1, 'retained history keeps the idle channel');
  now += 1000;
  broker.sweep();
  assert.equal(broker.stats().channels, 0, 'expired and idle: dropped');
  const again = await broker.publish('h', 'new', HISTORY);
  assert.notEqual(again.epoch, first.epoch);
  assert.equal(again.offset, 1);
  const history = await broker.history('h', { since: { epoch: first.epoch, offset: 1 } });
  assert.equal(history.recovered, false, 'the old position is not recoverable');
  assert.deepEqual(
    (await broker.history('h')).publications.map((p) => p.data),
    ['new'],
  );
});

test('MemoryBroker: presence going from one connection to several and back keeps counts, info and events', async (t) => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  t.after(() => broker.close());
  const watcher = recorder();
  await broker.subscribe('room', watcher.handler);
  await broker.addPresence('room', { connection: 'c1', user: 'ann', info: 'A' });
  await broker.addPresence('room', { connection: 'c1', user: 'ann', info: 'A2' }); // an update: no event
  assert.deepEqual(await broker.presence('room'), [{ user: 'ann', connections: 1, info: 'A2' }]);
  await broker.addPresence('room', { connection: 'c2', user: 'ann', info: 'B' });
  await broker.addPresence('room', { connection: 'c3', user: 'bob' });
  assert.deepEqual(await broker.presence('room'), [
    { user: 'ann', connections: 2, info: 'B' },
    { user: 'bob', connections: 1 },
  ]);
  await broker.removePresence('room', 'c3');
  await broker.removePresence('room', 'c2');
  // Back to one connection: the list still shows ann's latest info, as it did.
  assert.deepEqual(await broker.presence('room'), [{ user: 'ann', connections: 1, info: 'B' }]);
  assert.equal(broker.stats().presence, 1);
  await broker.addPresence('room', { connection: 'c1', user: 'dan' }); // the one connection changes user
  await broker.addPresence('room', { connection: 'c4', user: 'dan' });
  await broker.addPresence('room', { connection: 'c4', user: 'eve', info: 'E' }); // changes user among several
  assert.deepEqual(await broker.presence('room'), [
    { user: 'dan', connections: 1 },
    { user: 'eve', connections: 1, info: 'E' },
  ]);
  await broker.removePresence('room', 'c1');
  await broker.removePresence('room', 'c4');
  const events = watcher.events.map((e) =>
    e.type === 'join' || e.type === 'leave' ? `${e.type} ${e.user}${'info' in e ? ` ${String(e.info)}` : ''}` : e.type,
  );
  assert.deepEqual(events, [
    'join ann A',
    'join bob',
    'leave bob',
    'leave ann B',
    'join dan',
    'join eve E',
    'leave dan',
    'leave eve E',
  ]);
  assert.deepEqual(await broker.presence('room'), []);
  assert.equal(broker.stats().presence, 0);
});
