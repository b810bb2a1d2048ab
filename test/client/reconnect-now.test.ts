// Skipping the backoff wait, against a real hub behind a TCP proxy and on a hand-driven clock: reconnectNow() starts
// the attempt at once (and only when disconnected), and in browsers the window's `online` event does the same; the
// listener goes away with close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFaultHub, waitFor } from '../helpers/client-faults.ts';
import { startProxy } from '../helpers/tcp-proxy.ts';
import { clockedClient } from './fixtures/clocked-client.ts';

/** A backoff so long that only a skipped wait reconnects within the test. */
const LONG_BACKOFF = { minDelayMs: 60_000, maxDelayMs: 60_000 } as const;

test('reconnectNow(): when disconnected, reconnects without waiting for the clock; a no-op when connected', {
  timeout: 10_000,
}, async (t) => {
  const hub = await startFaultHub(t);
  const proxy = await startProxy(t, hub.port);
  const { client, clock, changes } = await clockedClient(t, proxy.port, 'eager', {
    reconnect: LONG_BACKOFF,
    pingIntervalMs: 10 * LONG_BACKOFF.maxDelayMs, // no ping falls due below
  });
  client.reconnectNow();
  assert.equal(client.state, 'connected', 'a no-op while connected');

  proxy.cut();
  await waitFor(() => client.state === 'disconnected', 3000);
  assert.equal(changes.at(-1)!.retryInMs, 30_000);
  client.reconnectNow();
  assert.equal(client.state, 'connecting');
  assert.equal(changes.at(-1)!.reason, 'reconnect_now');
  await waitFor(() => client.state === 'connected', 3000);
  assert.equal(client.metrics.connections, 2);
  client.reconnectNow();
  clock.advance(LONG_BACKOFF.maxDelayMs);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(client.metrics.connections, 2, 'the skipped wait does not start another attempt');
  assert.equal(client.state, 'connected');
});

test('the global online event (browsers) reconnects at once; close() removes the listener', {
  timeout: 10_000,
}, async (t) => {
  const hub = await startFaultHub(t);
  const proxy = await startProxy(t, hub.port);
  // Node has no global addEventListener: stand in for a window.
  const window = new EventTarget();
  const listeners = new Set<unknown>();
  const global = globalThis as { addEventListener?: unknown; removeEventListener?: unknown };
  assert.equal(global.addEventListener, undefined, 'this test assumes Node has no global addEventListener');
  global.addEventListener = (type: string, listener: () => void): void => {
    listeners.add(listener);
    window.addEventListener(type, listener);
  };
  global.removeEventListener = (type: string, listener: () => void): void => {
    listeners.delete(listener);
    window.removeEventListener(type, listener);
  };
  t.after(() => {
    delete global.addEventListener;
    delete global.removeEventListener;
  });
  const { client, changes } = await clockedClient(t, proxy.port, 'online', {
    reconnect: LONG_BACKOFF,
  });
  assert.equal(listeners.size, 1);
  window.dispatchEvent(new Event('online'));
  assert.equal(client.state, 'connected', 'online while connected changes nothing');

  proxy.cut();
  await waitFor(() => client.state === 'disconnected', 3000);
  window.dispatchEvent(new Event('online'));
  assert.equal(client.state, 'connecting');
  assert.equal(changes.at(-1)!.reason, 'online');
  await waitFor(() => client.state === 'connected', 3000);
  assert.equal(client.metrics.connections, 2);

  client.close();
  assert.equal(listeners.size, 0, 'close() removes the online listener');
});
