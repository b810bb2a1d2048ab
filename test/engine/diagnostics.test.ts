// Tests of src/engine/diagnostics.ts: the engine publishes on its channels when someone subscribes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { connect, DiagnosticsChannel, HandshakeError } from '../../src/engine/index.ts';
import { startServer, waitFor } from '../helpers/engine-fixtures.ts';

function record(t: { after(fn: () => unknown): void }, name: string): unknown[] {
  const seen: unknown[] = [];
  const fn = (m: unknown): void => void seen.push(m);
  diagnosticsChannel.subscribe(name, fn);
  t.after(() => diagnosticsChannel.unsubscribe(name, fn));
  return seen;
}

test('channel names are stable', () => {
  assert.deepEqual(Object.values(DiagnosticsChannel), [
    'switchboard:engine:open',
    'switchboard:engine:close',
    'switchboard:engine:handshake-rejected',
    'switchboard:engine:ping',
    'switchboard:engine:slow-consumer',
    'switchboard:engine:error',
  ]);
});

test('open, close, handshake-rejected and error are published', async (t) => {
  const opens = record(t, DiagnosticsChannel.OPEN) as Array<{ role: string }>;
  const closes = record(t, DiagnosticsChannel.CLOSE) as Array<{ code: number; durationMs: number }>;
  const rejected = record(t, DiagnosticsChannel.HANDSHAKE_REJECTED) as Array<{ status: number; reason: string }>;
  const errors = record(t, DiagnosticsChannel.ERROR) as Array<{ error: Error }>;
  const { url, wss } = await startServer(t, { path: '/ok' });
  const ws = await connect(`${url}ok`);
  await waitFor(() => opens.length === 2, 'server and client open');
  assert.deepEqual(opens.map((o) => o.role).sort(), ['client', 'server']);
  ws.close(1000);
  await waitFor(() => closes.length === 2, 'two closes');
  assert.ok(closes.every((c) => c.code === 1000 && c.durationMs >= 0));
  await assert.rejects(connect(`${url}nope`), HandshakeError);
  await waitFor(() => rejected.length === 1, 'rejection');
  assert.deepEqual([rejected[0]!.status, rejected[0]!.reason], [404, 'WS_ERR_UNKNOWN_PATH']);
  // A protocol failure on the server side is published on the error channel.
  wss.on('connection', (s) => s.addEventListener('error', () => {}));
  const raw = await import('../helpers/raw.ts');
  const { port } = wss.address()!;
  const client = await raw.RawClient.open(port, { path: '/ok' });
  await client.write(Buffer.from([0x81, 0x00])); // unmasked
  await client.readClose();
  await waitFor(() => errors.length >= 1, 'error published');
  assert.equal(errors[0]!.error.name, 'ProtocolError');
  client.destroy();
});
