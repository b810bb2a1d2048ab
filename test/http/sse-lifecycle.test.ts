// GET /sse lifecycles: a stream outlives the request deadline; a client leaving during the setup frees everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import { createSwitchboardServer } from '../../src/http/index.ts';
import { createAuthenticator, createNamespaces } from '../../src/realtime/index.ts';
import { SseReader } from '../helpers/sse.ts';
import { startSse } from '../helpers/sse-server.ts';

test('a stream stays open past requestTimeoutMs (which bounds receiving the request, not the response)', async (t) => {
  const { base, hub } = await startSse(t, { requestTimeoutMs: 300 });
  const reader = await SseReader.open(`${base}/sse?channel=ticker:slow`);
  assert.ok(reader instanceof SseReader);
  t.after(() => reader.close());
  await reader.until((events) => events.some((e) => e.event === 'subscribed'));
  // Several checking periods of Node's request timer (a quarter of the timeout, at least 100 ms) go by.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(reader.ended, false);
  await hub.publish('ticker:slow', 'still here');
  await reader.until((events) => events.some((e) => e.event === 'message'));
});

test('a client that leaves while its stream is being set up ends its session and frees its connection slot', async (t) => {
  let entered: () => void = () => {};
  const inHook = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { base, hub } = await startSse(t, {
    realtime: {
      engine: { maxConnectionsPerIp: 1 },
      logic: {
        async onSubscribe(context) {
          if (context.channel !== 'ticker:held') return undefined;
          entered();
          await held;
          return undefined;
        },
      },
    },
  });
  const controller = new AbortController();
  const pending = fetch(`${base}/sse?channel=ticker:held`, { signal: controller.signal }).catch((err: unknown) => err);
  await inHook;
  assert.equal(hub.connectionCount, 1);
  controller.abort();
  assert.ok((await pending) instanceof Error);
  const deadline = Date.now() + 5000;
  while (hub.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(hub.connectionCount, 0, 'the session ended with the request');
  release();
  const next = await SseReader.open(`${base}/sse?channel=ticker:next`);
  assert.ok(next instanceof SseReader, 'the address has its slot back');
  next.close();
});

test('sse timings that are not whole milliseconds from 1 are refused when the server is built', async () => {
  for (const sse of [{ keepaliveMs: 0 }, { retryMs: -1 }, { keepaliveMs: 1.5 }, { retryMs: Number.NaN }]) {
    await assert.rejects(
      createSwitchboardServer({
        realtime: {
          broker: new MemoryBroker(),
          namespaces: createNamespaces({ chat: {} }),
          authenticator: await createAuthenticator({ keys: [], anonymousRoles: ['anonymous'] }),
        },
        sse,
      }),
      RangeError,
      JSON.stringify(sse),
    );
  }
});
