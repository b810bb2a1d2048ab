// Client session features against a real hub: token refresh without reconnecting, rooms and async iteration, the
// circuit breaker as a visible state, and the server's disconnect advice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ClientError, Room, type BreakerState, type StateChange } from '../../src/client/index.ts';
import type { PublicationMessage } from '../../src/messages/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';

test('client: the token provider is called on connect and again before expiry; refresh keeps the same connection past the first expiry', {
  timeout: 20_000,
}, async (t) => {
  const server = await startFaultHub(t);
  let calls = 0;
  const client = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    refreshMarginMs: 1500,
    getToken: async () => {
      calls++;
      return tokenFor('refresher', 3000);
    },
  });
  t.after(() => client.close());
  const first = await client.connect();
  assert.equal(calls, 1);
  assert.ok(first.expires !== undefined);
  await waitFor(() => calls >= 2, 5000);
  await new Promise((r) => setTimeout(r, Math.max(0, first.expires! - Date.now()) + 1200));
  assert.equal(client.state, 'connected');
  assert.equal(client.metrics.connections, 1, 'refreshed in place, never reconnected');
  assert.equal(typeof (await client.ping()).time, 'number');
});

test('client: a token provider that throws unauthorized stops the client for good; other failures are retried', {
  timeout: 10_000,
}, async (t) => {
  const server = await startFaultHub(t);
  let calls = 0;
  const client = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    reconnect: { minDelayMs: 10, maxDelayMs: 20 },
    getToken: async () => {
      calls++;
      if (calls === 1) throw new Error('token endpoint down');
      throw new ClientError('unauthorized', 'signed out');
    },
  });
  await assert.rejects(client.connect(), (e: unknown) => e instanceof ClientError && e.code === 'unauthorized');
  assert.equal(calls, 2);
  assert.equal(client.state, 'closed');
});

test('client: rooms join with presence, say, report stats; a subscription is an async iterator of publications', {
  timeout: 10_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const url = `ws://127.0.0.1:${server.port}/ws`;
  const alice = new Client({ url, transport: engineTransport, token: await tokenFor('alice') });
  const bob = new Client({ url, transport: engineTransport, token: await tokenFor('bob') });
  t.after(() => {
    alice.close();
    bob.close();
  });
  await Promise.all([alice.connect(), bob.connect()]);
  const roomA = new Room(alice, 'lobby');
  const roomB = new Room(bob, 'lobby');
  await roomA.join();
  await roomB.join();
  await waitFor(() => roomA.members.length === 2, 3000);
  const iterated: PublicationMessage[] = [];
  const reading = (async () => {
    for await (const p of roomA.subscription) {
      iterated.push(p);
      if (iterated.length === 3) break;
    }
  })();
  for (const text of ['one', 'two', 'three']) await roomB.say(text);
  await reading;
  assert.deepEqual(
    iterated.map((p) => (p.data as { text: string }).text),
    ['one', 'two', 'three'],
  );
  assert.deepEqual(
    { ...roomA.stats(), channel: roomA.channel },
    { channel: 'chat:lobby', users: 2, connections: 2, received: 3, offset: 3 },
  );
  const typing = new Promise<string>((r) => roomA.subscription.once('typing', (e) => r(e.user)));
  roomB.typing(true);
  assert.equal(await typing, 'bob');
  await roomB.leave();
  await waitFor(() => roomA.members.length === 1, 3000);
});

test('client: publishes that keep failing open the circuit (visible state, circuit_open), which closes after a successful probe', {
  timeout: 10_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const broker = server.hub.broker;
  const client = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: await tokenFor('breaker'),
    ackTimeoutMs: 200,
    breaker: { failureThreshold: 3, resetTimeoutMs: 300 },
    reconnect: { minDelayMs: 50, maxDelayMs: 100 },
  });
  t.after(() => client.close());
  await client.connect();
  const states: BreakerState[] = [];
  client.on('breaker', (s) => states.push(s));
  // The broker stops answering: acks time out.
  const original = broker.publish.bind(broker);
  let stall = true;
  broker.publish = ((...args: Parameters<typeof original>) =>
    stall ? new Promise(() => {}) : original(...args)) as typeof broker.publish;
  const pending = client.publish('chat:b', { n: 1 });
  await waitFor(() => client.breakerState === 'open', 5000);
  await assert.rejects(
    client.publish('chat:b', { n: 2 }),
    (e: unknown) => e instanceof ClientError && e.code === 'circuit_open',
  );
  stall = false;
  const reply = await pending;
  assert.equal(reply.offset, 1);
  assert.equal(client.breakerState, 'closed');
  assert.deepEqual(states.slice(0, 3), ['open', 'half-open', 'closed']);
  assert.ok(client.metrics.resent >= 2, 'retries carried the same id');
});

test('client: an invalid token (4502) ends the session without a reconnect attempt (drains reconnect: see faults-restart)', {
  timeout: 10_000,
}, async (t) => {
  const server = await startFaultHub(t);
  const changes: StateChange[] = [];
  const client = new Client({
    url: `ws://127.0.0.1:${server.port}/ws`,
    transport: engineTransport,
    token: 'not.a.jwt',
    reconnect: { minDelayMs: 10, maxDelayMs: 20 },
  });
  client.on('statechange', (c) => changes.push(c));
  await assert.rejects(client.connect(), (e: unknown) => e instanceof ClientError && e.code === 'unauthorized');
  assert.equal(changes.filter((c) => c.state === 'connecting').length, 1, 'no reconnect on an auth failure');
  assert.equal(changes.at(-1)?.reason, 'auth_failed');
});
