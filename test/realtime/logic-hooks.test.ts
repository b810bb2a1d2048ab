// Server logic hooks against a real hub over real sockets: refusals, transforms, and every way a hook can fail
// (throw, hang past the deadline, garbage) answered `internal` while the session and the server stay usable
// (docs/security-cases.md LG-01, LG-02, LG-04).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/messages/index.ts';
import type { LogicFailureReason, LogicHook, ServerLogic } from '../../src/realtime/index.ts';
import { openClient, openRaw, startHub, type Hub } from '../helpers/realtime.ts';

type Failure = { hook: LogicHook; reason: LogicFailureReason };

/** A hub with the logic and a short deadline; failures reported to the observer are collected. */
async function hubWith(
  t: Parameters<typeof startHub>[0],
  logic: ServerLogic | ServerLogic[],
  logicTimeoutMs = 150,
): Promise<Hub & { failures: Failure[] }> {
  const failures: Failure[] = [];
  const hub = await startHub(t, {
    logic,
    logicTimeoutMs,
    observer: { logicFailed: (hook, reason) => failures.push({ hook, reason }) },
  });
  return { ...hub, failures };
}

const never = (): Promise<never> => new Promise(() => {});

for (const { name, onSubscribe, reason } of [
  {
    name: 'throws',
    onSubscribe: (): never => {
      throw new Error('secret detail');
    },
    reason: 'threw',
  },
  { name: 'rejects', onSubscribe: () => Promise.reject(new Error('secret detail')), reason: 'threw' },
  { name: 'hangs past the deadline', onSubscribe: never, reason: 'timeout' },
  { name: 'answers garbage', onSubscribe: () => 'yes please' as never, reason: 'invalid' },
  { name: 'answers an unknown key', onSubscribe: () => ({ allow: true }) as never, reason: 'invalid' },
  {
    name: 'refuses with a code outside RefusalCode',
    onSubscribe: () => ({ refuse: { code: 'internal', message: 'x' } }) as never,
    reason: 'invalid',
  },
] as const) {
  test(`a hook that ${name} is answered internal; the session, the server and memory stay as they were`, async (t) => {
    const hub = await hubWith(t, {
      onSubscribe: (context) => (context.channel.startsWith('chat:bad') ? onSubscribe() : undefined),
    });
    const alice = await openClient(t, hub, 'alice');
    const started = Date.now();
    const answer = await alice.request({ type: 'subscribe', channel: 'chat:bad', presence: true });
    assert.deepEqual([answer.type, answer['code'], answer['message']], ['error', 'internal', 'Internal server error']);
    assert.ok(Date.now() - started < 2000, 'the deadline frees the operation');
    assert.deepEqual(hub.failures, [{ hook: 'onSubscribe', reason }]);
    // Nothing was joined, nothing is pending.
    assert.deepEqual(await hub.broker.presence('chat:bad'), []);
    assert.equal(hub.hub.stats()['subscriptions'], 0);
    assert.equal(hub.hub.logicInFlight, 0);
    // The session and the server go on.
    assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:good' })).type, 'subscribed');
    assert.equal((await alice.request({ type: 'ping' })).type, 'reply');
    const bob = await openClient(t, hub, 'bob');
    assert.equal((await bob.request({ type: 'subscribe', channel: 'chat:good' })).type, 'subscribed');
    assert.equal(alice.closeCode, null);
  });
}

test('many hung hooks in a row leave no call pending once their deadlines pass', async (t) => {
  const hub = await hubWith(t, { onPublish: never }, 50);
  const alice = await openClient(t, hub, 'alice');
  const rids = Array.from({ length: 40 }, (_, i) => {
    const rid = alice.rid();
    alice.send({ type: 'publish', channel: 'chat:x', data: i, id: `m${i}`, rid });
    return rid;
  });
  for (const rid of rids) assert.equal((await alice.answer(rid))['code'], 'internal');
  assert.equal(hub.hub.logicInFlight, 0);
  assert.equal(hub.failures.length, 40);
  assert.equal((await hub.broker.history('chat:x', { limit: 10 })).publications.length, 0);
});

test('onConnect refusal sends the error, then closes with 4504; the refused user is never counted', async (t) => {
  const hub = await hubWith(t, {
    onConnect: (context) =>
      context.user === 'mallory' ? { refuse: { code: 'forbidden', message: 'Banned until tomorrow' } } : undefined,
  });
  const client = await openRaw(t, hub.url);
  const rid = client.rid();
  client.send({ type: 'connect', token: await hub.token('mallory'), rid });
  assert.equal((await client.waitClose()).code, 4504);
  assert.deepEqual(
    client.received.map((m) => [m.type, m['code'], m['message'] ?? m['reconnect']]),
    [
      ['error', 'forbidden', 'Banned until tomorrow'],
      ['disconnect', 4504, false],
    ],
    'the error first, then disconnect, nothing else',
  );
  assert.equal(client.received[0]!['re'], rid);
  assert.equal(hub.hub.stats()['users'], 0);
  await openClient(t, hub, 'alice');
});

test('onConnect failing (not refusing) closes with 4011 so the client retries later', async (t) => {
  const hub = await hubWith(t, { onConnect: never }, 50);
  const client = await openRaw(t, hub.url);
  const rid = client.rid();
  client.send({ type: 'connect', token: await hub.token('alice'), rid });
  assert.equal((await client.answer(rid))['code'], 'internal');
  assert.equal((await client.waitClose()).code, 4011);
});

test("onConnect's info (merged over the token's, across a chain) is the presence info", async (t) => {
  const hub = await hubWith(t, [
    { onConnect: (context) => ({ info: { plan: 'pro', seen: context.info?.['name'] ?? null } }) },
    { onConnect: (context) => ({ info: { tier: context.info?.['plan'] === 'pro' ? 2 : 1 } }) },
  ]);
  const alice = await openClient(t, hub, 'alice', { info: { name: 'Alice', plan: 'free' } });
  const subscribed = await alice.request({ type: 'subscribe', channel: 'chat:room', presence: true });
  assert.deepEqual(subscribed['presence'], [
    { user: 'alice', connections: 1, info: { name: 'Alice', plan: 'pro', seen: 'Alice', tier: 2 } },
  ]);
});

test('onPublish replaces the data: the replaced data is stored and delivered, and feeds the next logic', async (t) => {
  const seen: JsonValue[] = [];
  const hub = await hubWith(t, [
    { onPublish: (context) => ({ data: { text: String(context.data).toUpperCase(), by: context.user } }) },
    {
      onPublish: async (context) => {
        seen.push(context.data);
        return undefined;
      },
    },
  ]);
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  await bob.request({ type: 'subscribe', channel: 'chat:room' });
  const reply = await alice.request({ type: 'publish', channel: 'chat:room', data: 'hello', id: 'm1' });
  assert.equal(reply.type, 'reply');
  const delivered = await bob.next((m) => m.type === 'publication');
  assert.deepEqual(delivered['data'], { text: 'HELLO', by: 'alice' });
  assert.deepEqual(seen, [{ text: 'HELLO', by: 'alice' }]);
  const stored = await hub.broker.history('chat:room', { limit: 10 });
  assert.deepEqual(
    stored.publications.map((p) => p.data),
    [{ text: 'HELLO', by: 'alice' }],
  );
});

test('onPublish runs for send too, with the personal channel', async (t) => {
  const channels: string[] = [];
  const hub = await hubWith(t, {
    onPublish: (context) => {
      channels.push(`${context.namespace}|${context.channel}`);
      return { refuse: { code: 'forbidden', message: 'No private messages today' } };
    },
  });
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'send', user: 'bob', data: 'hi' });
  assert.deepEqual([answer['code'], answer['message']], ['forbidden', 'No private messages today']);
  assert.deepEqual(channels, ['user|user:bob']);
});

test('onPublish refusal answers its code and stores nothing; a long message is cut to 256 characters', async (t) => {
  const hub = await hubWith(t, {
    onPublish: () => ({ refuse: { code: 'invalid_message', message: 'x'.repeat(1000) } }),
  });
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'publish', channel: 'chat:room', data: 'spam', id: 'm1' });
  assert.equal(answer['code'], 'invalid_message');
  assert.equal(answer['message'], 'x'.repeat(256));
  assert.deepEqual((await hub.broker.history('chat:room', { limit: 10 })).publications, []);
  assert.deepEqual(hub.failures, []);
});

test('replaced data past the message size limit is answered too_large and not stored', async (t) => {
  const hub = await hubWith(t, { onPublish: () => ({ data: 'y'.repeat(70_000) }) });
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'publish', channel: 'chat:room', data: 'small', id: 'm1' });
  assert.equal(answer['code'], 'too_large');
  assert.deepEqual((await hub.broker.history('chat:room', { limit: 10 })).publications, []);
});

test('replaced data that is not JSON data (a function, a Date) is garbage: internal', async (t) => {
  const hub = await hubWith(t, { onPublish: () => ({ data: { when: new Date() } }) as never });
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'publish', channel: 'chat:room', data: 'x', id: 'm1' });
  assert.equal(answer['code'], 'internal');
  assert.deepEqual(hub.failures, [{ hook: 'onPublish', reason: 'invalid' }]);
});

test('the server-side publish (what the HTTP API calls) does not run onPublish', async (t) => {
  let calls = 0;
  const hub = await hubWith(t, {
    onPublish: () => {
      calls++;
      return { refuse: { code: 'forbidden', message: 'no' } };
    },
  });
  await hub.hub.publish('chat:room', 'from the backend');
  assert.equal(calls, 0);
  assert.equal((await hub.broker.history('chat:room', { limit: 10 })).publications.length, 1);
});

test('onSubscribe refusal joins nothing: no presence entry, no subscription, the chain stops', async (t) => {
  let second = 0;
  const hub = await hubWith(t, [
    {
      onSubscribe: (context) =>
        context.namespace === 'chat' && context.channel === 'chat:vip'
          ? { refuse: { code: 'forbidden', message: 'VIP only' } }
          : {},
    },
    {
      onSubscribe: () => {
        second++;
        return undefined;
      },
    },
  ]);
  const alice = await openClient(t, hub, 'alice');
  const answer = await alice.request({ type: 'subscribe', channel: 'chat:vip', presence: true });
  assert.deepEqual([answer['code'], answer['message']], ['forbidden', 'VIP only']);
  assert.deepEqual(await hub.broker.presence('chat:vip'), []);
  assert.equal(hub.hub.stats()['subscriptions'], 0);
  assert.equal(hub.hub.stats()['channels'], 0);
  assert.equal(second, 0, 'a refusal stops the chain');
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:lobby' })).type, 'subscribed');
  assert.equal(second, 1);
});

test('onDisconnect is called once per session, with the close code, and its failure is only logged', async (t) => {
  const ends: { user: string; code: number }[] = [];
  const hub = await hubWith(t, [
    {
      onDisconnect: (context) => {
        ends.push({ user: context.user, code: context.code });
        throw new Error('ignored');
      },
    },
  ]);
  const alice = await openClient(t, hub, 'alice');
  alice.ws.close(1000, 'bye');
  await alice.waitClose();
  const bob = await openClient(t, hub, 'bob');
  hub.hub.disconnectUser('bob');
  await bob.waitClose();
  const deadline = Date.now() + 2000;
  while (ends.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    ends.sort((a, b) => a.user.localeCompare(b.user)),
    [
      { user: 'alice', code: 1000 },
      { user: 'bob', code: 4504 },
    ],
  );
  assert.deepEqual(hub.failures, [
    { hook: 'onDisconnect', reason: 'threw' },
    { hook: 'onDisconnect', reason: 'threw' },
  ]);
});

test('onRefresh refusal keeps the old identity; acceptance keeps the info attached at connect', async (t) => {
  let refuse = true;
  const hub = await hubWith(t, {
    onConnect: () => ({ info: { badge: 'gold' } }),
    onRefresh: () => (refuse ? { refuse: { code: 'unauthorized', message: 'Session revoked' } } : undefined),
  });
  const alice = await openClient(t, hub, 'alice');
  const refused = await alice.request({ type: 'refresh', token: await hub.token('alice') });
  assert.deepEqual([refused['code'], refused['message']], ['unauthorized', 'Session revoked']);
  refuse = false;
  assert.equal((await alice.request({ type: 'refresh', token: await hub.token('alice') })).type, 'reply');
  const subscribed = await alice.request({ type: 'subscribe', channel: 'chat:room', presence: true });
  assert.deepEqual(subscribed['presence'], [{ user: 'alice', connections: 1, info: { badge: 'gold' } }]);
});

test('use() adds a logic at run time, after the ones configured', async (t) => {
  const order: string[] = [];
  const hub = await hubWith(t, { onSubscribe: () => void order.push('first') });
  hub.hub.use({ onSubscribe: () => void order.push('second') });
  const alice = await openClient(t, hub, 'alice');
  await alice.request({ type: 'subscribe', channel: 'chat:room' });
  assert.deepEqual(order, ['first', 'second']);
  assert.throws(() => hub.hub.use({ onSubscribe: 'nope' } as never), TypeError);
});
