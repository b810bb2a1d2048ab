// Every timing of the client runs on its Clock: on a hand-driven clock, against a real hub behind a TCP proxy, a
// black-holed connection is declared dead exactly at ping interval + ping timeout, and the reconnect waits exactly the
// announced backoff, however long real time takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultHub, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';
import { clockedClient } from './fixtures/clocked-client.ts';

test('client on a manual clock: ping timeout detects a black hole at interval + timeout; the reconnect waits for the clock', {
  timeout: 20_000,
}, async (t) => {
  const hub = await startFaultHub(t);
  const proxy = await startProxy(t, hub.port);
  const { client, clock, changes } = await clockedClient(t, proxy.port, 'clocked', {
    pingIntervalMs: 20_000,
    pingTimeoutMs: 10_000,
    reconnect: { minDelayMs: 4000, maxDelayMs: 4000 },
  });
  assert.ok(clock.pending > 0, 'the ping timer runs on the manual clock');

  proxy.stall(true);
  clock.advance(20_000); // idle for the interval: a ping goes out, into the black hole
  await new Promise((r) => setTimeout(r, 50));
  clock.advance(9_999);
  await new Promise((r) => setImmediate(r));
  assert.equal(client.state, 'connected', 'not dead 1 ms before the ping timeout');
  clock.advance(1);
  await new Promise((r) => setImmediate(r)); // the timed-out request rejects; its handler runs in a microtask
  assert.equal(client.state, 'disconnected');
  const lost = changes.at(-1)!;
  assert.equal(lost.reason, 'ping_timeout');
  assert.equal(lost.retryInMs, 2000, 'full jitter: 0.5 x 4000 ms');

  proxy.stall(false);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(client.state, 'disconnected', 'real time passing does not start the reconnect');
  clock.advance(1999);
  assert.equal(client.state, 'disconnected');
  clock.advance(1);
  assert.equal(client.state, 'connecting');
  await waitFor(() => client.state === 'connected', 5000);
  assert.equal(client.metrics.connections, 2);
});
