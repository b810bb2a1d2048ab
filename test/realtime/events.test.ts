// RealtimeServer#events across two nodes on one real Redis: occupancy, presence and opted-in publications are each
// emitted once per cluster, by the node where they happened.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/index.ts';
import type { RealtimeEventMap, RealtimeEventName } from '../../src/realtime/events.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { openClient, startHub, TEST_NAMESPACES, type Hub } from '../helpers/realtime.ts';

const NAMESPACES = { ...TEST_NAMESPACES, hooked: { webhookPublications: true } };
const NAMES: RealtimeEventName[] = [
  'channelOccupied',
  'channelVacated',
  'presenceJoin',
  'presenceLeave',
  'publication',
];

interface Seen {
  readonly node: string;
  readonly name: RealtimeEventName;
  readonly event: RealtimeEventMap[RealtimeEventName];
}

async function twoNodes(t: TestContext): Promise<{ one: Hub; two: Hub; seen: Seen[] }> {
  const redis = await startRedis(t);
  const brokers = await Promise.all([RedisBroker.connect({ url: redis.url }), RedisBroker.connect({ url: redis.url })]);
  t.after(() => Promise.all(brokers.map((b) => b.close())));
  const one = await startHub(t, { broker: brokers[0], namespaces: NAMESPACES });
  const two = await startHub(t, { broker: brokers[1], namespaces: NAMESPACES });
  const seen: Seen[] = [];
  for (const [node, hub] of [
    ['one', one],
    ['two', two],
  ] as const) {
    for (const name of NAMES) hub.hub.events.on(name, (event) => seen.push({ node, name, event }));
  }
  return { one, two, seen };
}

function about(seen: readonly Seen[], channel: string): string[] {
  return seen
    .filter((s) => s.event.channel === channel)
    .map((s) => `${s.node}:${s.name}${'user' in s.event ? `:${s.event.user}` : ''}`);
}

async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 150));

test('a channel is occupied once when its first subscriber anywhere arrives and vacated once when the last one leaves', async (t) => {
  const { one, two, seen } = await twoNodes(t);
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  const carol = await openClient(t, two, 'carol');
  await alice.request({ type: 'subscribe', channel: 'nohist:room' });
  await eventually(() => about(seen, 'nohist:room').length === 1, 'occupied');
  await bob.request({ type: 'subscribe', channel: 'nohist:room' });
  await carol.request({ type: 'subscribe', channel: 'nohist:room' });
  await alice.request({ type: 'unsubscribe', channel: 'nohist:room' });
  await bob.request({ type: 'unsubscribe', channel: 'nohist:room' });
  await settle();
  assert.deepEqual(about(seen, 'nohist:room'), ['one:channelOccupied'], 'others arriving and leaving change nothing');
  carol.close();
  await eventually(() => about(seen, 'nohist:room').length === 2, 'vacated');
  await settle();
  assert.deepEqual(about(seen, 'nohist:room'), ['one:channelOccupied', 'two:channelVacated']);
});

test("presence join and leave are emitted once per user, by the node that added or removed the user's entry", async (t) => {
  const { one, two, seen } = await twoNodes(t);
  const tab1 = await openClient(t, one, 'alice', { info: { name: 'Alice' } });
  const tab2 = await openClient(t, two, 'alice', { info: { name: 'Alice' } });
  await tab1.request({ type: 'subscribe', channel: 'chat:lobby' });
  await tab2.request({ type: 'subscribe', channel: 'chat:lobby' });
  await settle();
  tab1.close();
  await settle();
  assert.deepEqual(
    about(seen, 'chat:lobby').filter((s) => s.includes('presence')),
    ['one:presenceJoin:alice'],
    "the second tab joins no one; the first tab's leave is not the user's",
  );
  tab2.close();
  await eventually(() => about(seen, 'chat:lobby').includes('two:presenceLeave:alice'), 'leave');
  await settle();
  const presence = seen.filter((s) => s.event.channel === 'chat:lobby' && s.name.startsWith('presence'));
  assert.deepEqual(
    presence.map((s) => [s.node, s.name, JSON.parse(JSON.stringify(s.event))]),
    [
      ['one', 'presenceJoin', { channel: 'chat:lobby', user: 'alice', info: { name: 'Alice' } }],
      ['two', 'presenceLeave', { channel: 'chat:lobby', user: 'alice', info: { name: 'Alice' } }],
    ],
  );
});

test('publications are emitted once, by the storing node, only in namespaces that opt in, and not again for a retry', async (t) => {
  const { one, two, seen } = await twoNodes(t);
  const alice = await openClient(t, one, 'alice');
  const bob = await openClient(t, two, 'bob');
  await bob.request({ type: 'subscribe', channel: 'hooked:a' });
  const first = await alice.request({ type: 'publish', channel: 'hooked:a', data: { n: 1 }, id: 'm1' });
  const retry = await alice.request({ type: 'publish', channel: 'hooked:a', data: { n: 1 }, id: 'm1' });
  assert.equal((retry['data'] as { duplicate: boolean }).duplicate, true);
  const other = await alice.request({ type: 'publish', channel: 'chat:a', data: { n: 2 }, id: 'm2' });
  assert.equal(other.type, 'reply', 'stored, but its namespace did not opt in');
  await two.hub.publish('hooked:a', { n: 3 }, { sender: 'api' });
  await bob.next((m) => m.type === 'publication' && (m['data'] as { n: number }).n === 3);
  const publications = seen.filter((s) => s.name === 'publication');
  assert.deepEqual(
    publications.map((s) => {
      const { time, ...rest } = s.event as RealtimeEventMap['publication'];
      assert.ok(Math.abs(time - Date.now()) < 5000);
      return [s.node, rest];
    }),
    [
      [
        'one',
        {
          channel: 'hooked:a',
          epoch: (first['data'] as { epoch: string }).epoch,
          offset: 1,
          data: { n: 1 },
          sender: 'alice',
          id: 'm1',
        },
      ],
      [
        'two',
        {
          channel: 'hooked:a',
          epoch: (first['data'] as { epoch: string }).epoch,
          offset: 2,
          data: { n: 3 },
          sender: 'api',
        },
      ],
    ],
  );
});

test('a throwing listener is reported and does not stop the others or the operation', async (t) => {
  const errors: unknown[] = [];
  const hub = await startHub(t, { namespaces: NAMESPACES, observer: { internalError: (err) => errors.push(err) } });
  const got: string[] = [];
  hub.hub.events.on('publication', () => {
    throw new Error('listener bug');
  });
  const off = hub.hub.events.on('publication', (e) => got.push(e.channel));
  await hub.hub.publish('hooked:x', 1);
  off();
  await hub.hub.publish('hooked:x', 2);
  assert.deepEqual(got, ['hooked:x'], 'the second listener ran once, then was removed');
  assert.equal(errors.length, 2);
  assert.equal(hub.hub.events.has('channelOccupied'), false, 'nobody listens: emitting costs a lookup');
});

test('a publication event carries the data onPublish stored, and none is emitted for a refused publish', async (t) => {
  const hub = await startHub(t, { namespaces: NAMESPACES });
  hub.hub.use({
    onPublish: (context) =>
      context.data === 'refuse me'
        ? { refuse: { code: 'forbidden', message: 'no' } }
        : { data: { text: String(context.data), by: context.user } },
  });
  const got: unknown[] = [];
  hub.hub.events.on('publication', (e) => got.push(e.data));
  const alice = await openClient(t, hub, 'alice');
  const stored = await alice.request({ type: 'publish', channel: 'hooked:logic', data: 'hello', id: 'p1' });
  assert.equal(stored.type, 'reply', JSON.stringify(stored));
  const refused = await alice.request({ type: 'publish', channel: 'hooked:logic', data: 'refuse me', id: 'p2' });
  assert.equal(refused.type, 'error');
  assert.deepEqual(got, [{ text: 'hello', by: 'alice' }]);
});
