// The client against a real hub: reconnect.maxAttempts on a hand-driven clock (gives up after N failures in a row, a
// success resets the count), the server's 4506 idle timeout ends the client without a reconnect, and echo: false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, ClientError, type StateChange } from '../../src/client/index.ts';
import { createAuthenticator, createNamespaces, RealtimeServer } from '../../src/realtime/index.ts';
import { MemoryBroker } from '../../src/broker/index.ts';
import { engineTransport, startFaultHub, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { SECRET } from '../helpers/realtime.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';
import { clockedClient } from './fixtures/clocked-client.ts';
import type { ManualClock } from './fixtures/manual-clock.ts';

/** Runs the clock to the next reconnect and waits until that attempt has failed (state `disconnected` again or `closed`). */
async function failOneAttempt(clock: ManualClock, client: Client, changes: StateChange[], delayMs: number) {
  const before = changes.length;
  clock.advance(delayMs);
  assert.equal(client.state, 'connecting');
  await waitFor(
    () => changes.slice(before).some((c) => c.state === 'disconnected' || c.state === 'closed'),
    5000,
    () => JSON.stringify(changes.slice(before)),
  );
}

test('reconnect.maxAttempts: after N failed attempts in a row the client is closed with reason max_attempts', {
  timeout: 20_000,
}, async (t) => {
  const hub = await startFaultHub(t);
  const proxy = await startProxy(t, hub.port);
  const { client, clock, changes } = await clockedClient(t, proxy.port, 'giveup', {
    pingIntervalMs: 0,
    reconnect: { minDelayMs: 1000, maxDelayMs: 1000, maxAttempts: 3 },
  });

  // Two failures, then the network is back: the success resets the count.
  proxy.refuse(true);
  proxy.cut();
  await waitFor(() => client.state === 'disconnected', 5000);
  await failOneAttempt(clock, client, changes, 500);
  await failOneAttempt(clock, client, changes, 500);
  assert.equal(client.state, 'disconnected', 'two failures of three allowed');
  proxy.refuse(false);
  clock.advance(500);
  await waitFor(() => client.state === 'connected', 5000);
  assert.equal(changes.at(-1)!.attempt, 0, 'a successful connection resets the count');

  // Three failures in a row now: the third ends the client.
  proxy.refuse(true);
  proxy.cut();
  await waitFor(() => client.state === 'disconnected', 5000);
  await failOneAttempt(clock, client, changes, 500);
  await failOneAttempt(clock, client, changes, 500);
  assert.equal(client.state, 'disconnected');
  await failOneAttempt(clock, client, changes, 500);
  assert.equal(client.state, 'closed');
  const last = changes.at(-1)!;
  assert.deepEqual([last.state, last.reason, last.attempt], ['closed', 'max_attempts', 3]);
  await assert.rejects(
    client.ready(),
    (err: unknown) =>
      err instanceof ClientError && err.code === 'closed' && /after 3 failed reconnect attempts/.test(err.message),
  );
  assert.equal(clock.pending, 0, 'no timer left: nothing reconnects');
  assert.equal(client.metrics.connections, 2);
});

test('reconnect.maxAttempts must be a non-negative integer or Infinity', () => {
  for (const bad of [-1, 1.5, Number.NaN])
    assert.throws(
      () => new Client({ url: 'ws://127.0.0.1:1/ws', transport: engineTransport, reconnect: { maxAttempts: bad } }),
      /reconnect\.maxAttempts must be a non-negative integer or Infinity/,
    );
});

test("the server's 4506 idle timeout closes the client for good (the 4500-4999 range: no reconnect)", async (t) => {
  const broker = new MemoryBroker();
  const hub = new RealtimeServer({
    port: 0,
    broker,
    namespaces: createNamespaces({ chat: {} }),
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    idleTimeoutMs: 400,
  });
  const { port } = await hub.wss.listen();
  t.after(async () => {
    await hub.drain({ timeoutMs: 300 });
    await broker.close();
  });
  const client = new Client({
    url: `ws://127.0.0.1:${port}/ws`,
    transport: engineTransport,
    token: await tokenFor('sleepy'),
    // The SDK's own pings do not keep the connection open.
    pingIntervalMs: 100,
    reconnect: { minDelayMs: 10, maxDelayMs: 10 },
  });
  t.after(() => client.close());
  const changes: StateChange[] = [];
  client.on('statechange', (c) => changes.push(c));
  await client.connect();
  await waitFor(
    () => client.state === 'closed',
    5000,
    () => JSON.stringify(changes),
  );
  const last = changes.at(-1)!;
  assert.deepEqual([last.reason, last.code], ['server_disconnect', 4506]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(client.metrics.connections, 1, 'it did not reconnect');
});

test('publish with echo: false: the publishing client does not receive it; another client does', async (t) => {
  const hub = await startFaultHub(t);
  const make = async (user: string) => {
    const c = new Client({
      url: `ws://127.0.0.1:${hub.port}/ws`,
      transport: engineTransport,
      token: await tokenFor(user),
    });
    t.after(() => c.close());
    await c.connect();
    return c;
  };
  const alice = await make('alice');
  const bob = await make('bob');
  const seen = { alice: [] as unknown[], bob: [] as unknown[] };
  alice.on('publication', (p) => seen.alice.push(p.data));
  bob.on('publication', (p) => seen.bob.push(p.data));
  await alice.subscribe('chat:echo');
  await bob.subscribe('chat:echo');
  await alice.publish('chat:echo', 'quiet', { echo: false });
  await alice.publish('chat:echo', 'loud');
  await waitFor(
    () => seen.bob.length === 2 && seen.alice.length === 1,
    5000,
    () => JSON.stringify(seen),
  );
  assert.deepEqual(seen, { alice: ['loud'], bob: ['quiet', 'loud'] });
  assert.equal(alice.metrics.gaps, 0, 'the skipped offset is no gap: the ack moved the position over it');
  // Replayed from history (a recovery from an older position): still not delivered to its publisher.
  await alice.unsubscribe('chat:echo');
  const epoch = alice.positions.get('chat:echo')!.epoch;
  alice.setPosition('chat:echo', { epoch, offset: 0 });
  await alice.subscribe('chat:echo');
  await waitFor(
    () => seen.alice.length === 2,
    5000,
    () => JSON.stringify(seen),
  );
  assert.deepEqual(seen.alice, ['loud', 'loud']);
});
