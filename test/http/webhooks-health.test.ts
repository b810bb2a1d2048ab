// Webhooks wired into the HTTP server: /health's webhooks section, the per-endpoint metrics, and the flush on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createMetrics, createSwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces, signToken } from '../../src/realtime/index.ts';
import { startReceiver } from '../integrations/webhook-receiver.ts';
import { openRaw, SECRET } from '../helpers/realtime.ts';

const HOOK_SECRET = 'whsec-test-0123456789abcdef';

test('/health reports each endpoint, /metrics counts sent events and queue depth, close flushes the last events', async (t) => {
  const receiver = await startReceiver(t, HOOK_SECRET);
  const broker = new MemoryBroker();
  const metrics = createMetrics({ defaultMetrics: false, engineDiagnostics: false });
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces: createNamespaces({ chat: {} }),
      authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
    },
    webRoot: null,
    metrics,
    webhooks: [
      { url: receiver.url, secret: HOOK_SECRET, events: ['channelOccupied', 'channelVacated'], maxWaitMs: 60_000 },
    ],
  });
  const { port } = await server.listen();
  t.after(async () => {
    await server.close({ timeoutMs: 500 });
    metrics.close();
    await broker.close();
  });
  const client = await openRaw(t, `ws://127.0.0.1:${port}/ws`);
  const token = await signToken({ sub: 'alice', ttlMs: 60_000 }, { type: 'secret', secret: SECRET });
  await client.request({ type: 'connect', token });
  await client.request({ type: 'subscribe', channel: 'chat:room' });
  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
    webhooks: { endpoints: Record<string, unknown>[] };
  };
  assert.equal(health.webhooks.endpoints.length, 1);
  assert.deepEqual(
    health.webhooks.endpoints[0],
    {
      endpoint: receiver.url,
      emitted: 1,
      delivered: 0,
      batches: 0,
      failedAttempts: 0,
      deadLettered: 0,
      queued: 1,
      inFlight: 0,
      state: 'idle',
      lastError: null,
    },
    'waiting for companions (maxWaitMs 60 s)',
  );
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, new RegExp(`switchboard_webhook_queue_depth\\{endpoint="${receiver.url}"\\} 1`));
  client.close();
  await client.closed;
  await server.close({ timeoutMs: 2000 });
  const types = receiver.batches.flat().map((e) => e.type);
  assert.deepEqual(types, ['channelOccupied', 'channelVacated'], 'the close flushed both without waiting 60 s');
  assert.match(
    await metrics.render(),
    new RegExp(`switchboard_webhook_events_sent_total\\{endpoint="${receiver.url}"\\} 2`),
  );
});
