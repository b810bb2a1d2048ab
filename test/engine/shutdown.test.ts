// Tests of src/engine/shutdown.ts: closeAll sends the code, waits, then terminates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, connect, type WebSocketCloseEvent } from '../../src/engine/index.ts';
import { RawClient } from '../helpers/raw.ts';
import { nextConnection, nextEvent, startServer, waitFor } from '../helpers/engine-fixtures.ts';

test('closeAll closes cooperative peers with the given code (RFC 6455 §7.4.1 1001)', async (t) => {
  const { wss, url } = await startServer(t);
  const a = await connect(url);
  const b = await connect(url);
  await waitFor(() => wss.clients.size === 2, 'two clients');
  const closes = [a, b].map((c) => nextEvent<WebSocketCloseEvent>(c, 'close'));
  await closeAll(wss.clients, { code: 1001, reason: 'maintenance', timeoutMs: 2_000 });
  for (const e of await Promise.all(closes))
    assert.deepEqual([e.code, e.reason, e.wasClean], [1001, 'maintenance', true]);
  assert.equal(wss.clients.size, 0);
});

test('closeAll terminates peers that ignore the Close at the deadline (SD-02)', async (t) => {
  const { wss, port } = await startServer(t, { closeTimeoutMs: 10_000 });
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const started = Date.now();
  await closeAll([server], { code: 1001, reason: '', timeoutMs: 100 });
  assert.ok(Date.now() - started < 2_000);
  assert.equal(server.readyState, server.CLOSED);
  assert.equal((await raw.readClose()).code, 1001);
});

test('closeAll of nothing resolves at once', async () => {
  await closeAll([], { code: 1001, reason: '', timeoutMs: 10_000 });
});
