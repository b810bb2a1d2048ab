// Proves the raw-TCP test helpers against an independent server (`ws`), so a failing engine test means the engine, not the helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, acceptFor, expectClose, frame, frames, handshakeRequest, hex, maskBytes } from './raw.ts';
import { startEcho } from './echo-server.ts';
import { openControl } from './control-client.ts';
import { spawnEchoChild } from './memory.ts';

test('acceptFor matches the RFC 6455 §1.3 sample', () => {
  assert.equal(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frame() builds the RFC 6455 §5.7 masked "Hello" example', () => {
  const key = hex('37 fa 21 3d');
  assert.deepEqual(frame({ opcode: 1, payload: 'Hello', maskKey: key }), hex('81 85 37fa213d 7f9f4d5158'));
  assert.deepEqual(frame({ opcode: 1, payload: 'Hello', mask: false }), hex('81 05 48656c6c6f'));
  assert.deepEqual(maskBytes(maskBytes(Buffer.from('abcdef'), key), key), Buffer.from('abcdef'));
  assert.deepEqual(
    frame({ opcode: 2, payload: Buffer.alloc(0), mask: false, lengthEncoding: 64 }),
    hex('82 7f 0000000000000000'),
  );
  assert.deepEqual(
    frame({ opcode: 2, mask: false, announcedLength: 2n ** 63n }).subarray(0, 10),
    hex('82 7f 8000000000000000'),
  );
});

test('raw helper speaks to the ws server: handshake, echo, chopped writes, ping, close', async (t) => {
  const server = await startEcho('ws');
  t.after(() => server.stop());
  const c = await RawClient.open(server.port);
  t.after(() => c.destroy());
  await c.write(frames.text('hi'));
  const m = await c.readMessage();
  assert.equal(m.opcode, 1);
  assert.equal(m.data.toString(), 'hi');
  await c.writeChopped(frames.binary(Buffer.from([1, 2, 3, 4, 5])));
  assert.deepEqual((await c.readMessage()).data, Buffer.from([1, 2, 3, 4, 5]));
  await c.write(frames.ping('abc'));
  const pong = await c.readFrame();
  assert.equal(pong.opcode, 0xa);
  assert.equal(pong.payload.toString(), 'abc');
  assert.equal(pong.masked, false);
  await c.write(frames.close(4000, 'bye'));
  const info = await expectClose(c, 4000);
  assert.equal(info.reason, 'bye');
});

test('raw helper reads a 1002 from ws for an unmasked frame and sees TCP end', async (t) => {
  const server = await startEcho('ws');
  t.after(() => server.stop());
  const c = await RawClient.open(server.port);
  t.after(() => c.destroy());
  await c.write(hex('81 02 6869'));
  await expectClose(c, 1002);
});

test('raw helper reads an HTTP error status (ws rejects version 12 with 400)', async (t) => {
  const server = await startEcho('ws');
  t.after(() => server.stop());
  const c = await RawClient.connect(server.port);
  t.after(() => c.destroy());
  await c.write(handshakeRequest({ version: '12' }, server.port));
  const head = await c.readHttpHead();
  assert.equal(head.status, 400);
  assert.equal(await c.waitEnd(), true);
});

test('control client and child-process memory sampling work against ws', async (t) => {
  const child = await spawnEchoChild({ impl: 'ws' });
  t.after(() => child.stop());
  const control = await openControl(child.url);
  t.after(() => control.close());
  await control.check();
  const m = await child.mem();
  assert.equal(m.gc, true);
  assert.equal(m.connections, 1);
  assert.ok(m.heapUsed > 0);
  assert.equal(child.alive(), true);
});
