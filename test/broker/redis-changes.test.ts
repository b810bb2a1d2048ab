// Tests of the broker's `change` event over a real Redis: occupancy and presence changes are reported once per
// cluster, by the node whose atomic update made them, including on behalf of a node that died.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MemoryBroker, RedisBroker, type BrokerChange, type ChannelHandler } from '../../src/broker/index.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';

let redis: RedisServer;
before(async () => {
  redis = await startRedis(null);
});
after(() => redis.stop());

interface Node {
  readonly broker: RedisBroker;
  readonly changes: BrokerChange[];
}

async function node(t: { after(fn: () => Promise<unknown>): void }, heartbeatMs = 5000): Promise<Node> {
  const broker = await RedisBroker.connect({ url: redis.url, presenceHeartbeatMs: heartbeatMs });
  const changes: BrokerChange[] = [];
  broker.on('change', (change) => changes.push(change));
  t.after(() => broker.close());
  return { broker, changes };
}

async function eventually(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const noop: ChannelHandler = () => {};

function of(changes: readonly BrokerChange[], channel: string): string[] {
  return changes.filter((c) => c.channel === channel).map((c) => ('user' in c ? `${c.type}:${c.user}` : c.type));
}

test('occupied fires once when the first handler anywhere arrives, vacated once when the last one anywhere leaves', async (t) => {
  const a = await node(t);
  const b = await node(t);
  const ch = `chat:occ-${randomUUID()}`;
  const h1: ChannelHandler = () => {};
  const h2: ChannelHandler = () => {};
  await a.broker.subscribe(ch, h1);
  await a.broker.subscribe(ch, h2);
  await eventually(() => of(a.changes, ch).length === 1, 'occupied on a');
  await b.broker.subscribe(ch, noop);
  await a.broker.unsubscribe(ch, h1);
  await a.broker.unsubscribe(ch, h2);
  await sleep(100);
  assert.deepEqual(of(a.changes, ch), ['occupied'], 'a second node arriving and the first leaving change nothing');
  assert.deepEqual(of(b.changes, ch), []);
  await b.broker.unsubscribe(ch, noop);
  await eventually(() => of(b.changes, ch).length === 1, 'vacated on b');
  await sleep(100);
  assert.deepEqual(of(a.changes, ch), ['occupied']);
  assert.deepEqual(of(b.changes, ch), ['vacated']);
});

test('concurrent subscribes and unsubscribes on two nodes pair every occupied with one vacated', async (t) => {
  const a = await node(t);
  const b = await node(t);
  const ch = `chat:race-${randomUUID()}`;
  const both: string[] = [];
  const record = (change: BrokerChange): void => {
    if (change.channel === ch) both.push(change.type);
  };
  a.broker.on('change', record);
  b.broker.on('change', record);
  for (let round = 0; round < 30; round++) {
    await Promise.all([a.broker.subscribe(ch, noop), b.broker.subscribe(ch, noop)]);
    await Promise.all([a.broker.unsubscribe(ch, noop), b.broker.unsubscribe(ch, noop)]);
  }
  // Settle: the last writes of both nodes reach Redis.
  await sleep(200);
  // Redis runs the scripts one at a time, so transitions alternate there; the two nodes' replies may reach this
  // process in either order, so the test checks the pairing, not the order it observed.
  const occupied = both.filter((type) => type === 'occupied').length;
  const vacated = both.filter((type) => type === 'vacated').length;
  assert.ok(occupied >= 1, `saw ${both.length} changes`);
  assert.equal(occupied, vacated, 'each occupied has exactly one vacated');
  assert.equal(await redis.command('EXISTS', `sb:{${ch}}:o`), 0, 'the empty occupancy set is gone');
});

test('a node that dies holding the last handler is swept: vacated fires once, on a live node, marked swept', async (t) => {
  const heartbeatMs = 150;
  const live = await node(t, heartbeatMs);
  const dying = await node(t, heartbeatMs);
  const ch = `chat:crash-${randomUUID()}`;
  await dying.broker.subscribe(ch, noop);
  await dying.broker.addPresence(ch, { connection: 'c1', user: 'ann' });
  await eventually(() => of(dying.changes, ch).length === 2, 'occupied and join on the dying node');
  assert.deepEqual(of(dying.changes, ch).sort(), ['join:ann', 'occupied']);
  dying.broker.stopHeartbeat();
  const started = Date.now();
  await eventually(() => of(live.changes, ch).length === 2, 'the sweep on the live node', 5000);
  const elapsed = Date.now() - started;
  assert.deepEqual(of(live.changes, ch).sort(), ['leave:ann', 'vacated']);
  for (const change of live.changes.filter((c) => c.channel === ch))
    assert.equal('swept' in change && change.swept, true);
  assert.ok(elapsed <= 3 * heartbeatMs + 1000, `swept after ${elapsed} ms`);
  t.diagnostic(
    `FIGURES crash sweep: ${JSON.stringify({ heartbeatMs, vacatedAfterMs: elapsed, boundMs: 3 * heartbeatMs })}`,
  );
  await sleep(3 * heartbeatMs);
  assert.equal(of(live.changes, ch).length, 2, 'swept once');
});

test('presence join and leave are reported only by the node that added or removed the entry, per user', async (t) => {
  const a = await node(t);
  const b = await node(t);
  const ch = `chat:presence-${randomUUID()}`;
  await a.broker.addPresence(ch, { connection: 'a1', user: 'ann', info: { name: 'Ann' } });
  await b.broker.addPresence(ch, { connection: 'b1', user: 'ann', info: { name: 'Ann' } });
  await b.broker.addPresence(ch, { connection: 'b2', user: 'bob' });
  await a.broker.removePresence(ch, 'a1');
  await b.broker.removePresence(ch, 'b1');
  await b.broker.removePresence(ch, 'b2');
  assert.deepEqual(a.changes, [{ type: 'join', channel: ch, user: 'ann', info: { name: 'Ann' } }]);
  assert.deepEqual(b.changes, [
    { type: 'join', channel: ch, user: 'bob' },
    { type: 'leave', channel: ch, user: 'ann', info: { name: 'Ann' } },
    { type: 'leave', channel: ch, user: 'bob' },
  ]);
});

test('a clean close vacates what the node held and reports its leaves', async (t) => {
  const a = await node(t);
  const ch = `chat:close-${randomUUID()}`;
  await a.broker.subscribe(ch, noop);
  await a.broker.addPresence(ch, { connection: 'a1', user: 'ann' });
  await a.broker.close();
  assert.deepEqual(of(a.changes, ch), ['occupied', 'join:ann', 'leave:ann', 'vacated']);
});

test('MemoryBroker reports occupancy and presence changes locally', async () => {
  const broker = new MemoryBroker({ sweepIntervalMs: 0 });
  const changes: BrokerChange[] = [];
  broker.on('change', (c) => changes.push(c));
  const h: ChannelHandler = () => {};
  await broker.subscribe('chat:m', h);
  await broker.subscribe('chat:m', noop);
  await broker.addPresence('chat:m', { connection: 'c1', user: 'ann' });
  await broker.addPresence('chat:m', { connection: 'c2', user: 'ann' });
  await broker.removePresence('chat:m', 'c1');
  await broker.removePresence('chat:m', 'c2');
  await broker.unsubscribe('chat:m', h);
  await broker.unsubscribe('chat:m', noop);
  await broker.close();
  assert.deepEqual(of(changes, 'chat:m'), ['occupied', 'join:ann', 'leave:ann', 'vacated']);
});
