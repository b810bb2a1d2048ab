// The schema-free entry of the messages layer (src/messages/core.ts): the same definitions as index.ts, the one
// publication-to-wire mapping, and assertNever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import * as core from '../../src/messages/core.ts';
import * as all from '../../src/messages/index.ts';
import { CloseCode } from '../../src/protocol/index.ts';

test('every runtime export of core.ts is exported by index.ts as the very same value', () => {
  const names = Object.keys(core);
  assert.ok(names.length >= 20, `core exports ${names.length} names`);
  for (const name of names)
    assert.equal((all as Record<string, unknown>)[name], (core as Record<string, unknown>)[name], name);
});

test('toPublicationWire copies the protocol fields only and leaves absent (or undefined) optional fields out', () => {
  const data = { text: 'hi' };
  const stored = {
    channel: 'chat:x',
    epoch: 'E1',
    offset: 7,
    data,
    time: 1700000000000,
    sender: undefined,
    id: 'm-1',
    extra: 'internal',
  };
  const wire = core.toPublicationWire(stored);
  assert.deepEqual(wire, { channel: 'chat:x', epoch: 'E1', offset: 7, data, time: 1700000000000, id: 'm-1' });
  assert.equal('sender' in wire, false, 'an undefined field is absent, not undefined (MessagePack would encode it)');
  assert.equal(wire.data, data, 'data is shared, not copied');
  assert.deepEqual(core.toPublicationWire({ ...stored, sender: 'alice', id: undefined }), {
    channel: 'chat:x',
    epoch: 'E1',
    offset: 7,
    data,
    time: 1700000000000,
    sender: 'alice',
  });
});

test('toPublicationMessage is the wire form with type publication, and validates as a server message', () => {
  const message = core.toPublicationMessage({
    channel: 'chat:x',
    epoch: 'E1',
    offset: 7,
    data: [1],
    time: 5,
    sender: 'bob',
  });
  assert.deepEqual(message, {
    type: 'publication',
    channel: 'chat:x',
    epoch: 'E1',
    offset: 7,
    data: [1],
    time: 5,
    sender: 'bob',
  });
  assert.deepEqual(core.validateServerValue(JSON.parse(JSON.stringify(message))), message);
  assert.ok(all.validateServerMessage(message).ok);
});

test('assertNever throws a TypeError naming what and the value, shortened, and survives values JSON cannot show', () => {
  type Kind = 'a' | 'b';
  const handle = (k: Kind): number => {
    switch (k) {
      case 'a':
        return 1;
      case 'b':
        return 2;
      default:
        return core.assertNever(k, 'kind');
    }
  };
  assert.equal(handle('b'), 2);
  assert.throws(() => handle('c' as Kind), { name: 'TypeError', message: 'Unexpected kind: "c"' });
  assert.throws(() => core.assertNever(10n as never), { name: 'TypeError', message: 'Unexpected value: bigint' });
  assert.throws(
    () => core.assertNever('x'.repeat(500) as never),
    (e: unknown) => e instanceof TypeError && e.message.length < 130 && e.message.endsWith('…'),
  );
  assert.throws(() => core.assertNever(undefined as never), { message: 'Unexpected value: undefined' });
});

test('core.ts pulls in neither zod nor msgpackr nor the modules built on them (bundled with esbuild)', async () => {
  const result = await build({
    entryPoints: ['src/messages/core.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('src/messages/server-validator.ts'));
  assert.deepEqual(
    inputs.filter((p) => /node_modules\/(zod|msgpackr)\/|src\/messages\/(schemas|codec|msgpack-scan)\.ts$/.test(p)),
    [],
  );
});

test('RfcCloseCode mirrors the protocol core CloseCode registry name for name, value for value', () => {
  assert.deepEqual({ ...core.RfcCloseCode }, { ...CloseCode });
});

test('shouldReconnect: the application ranges, and the RFC codes of server or network trouble only', () => {
  const { RfcCloseCode: C, shouldReconnect } = core;
  for (const code of [
    C.GOING_AWAY,
    C.ABNORMAL_CLOSURE,
    C.INTERNAL_ERROR,
    C.SERVICE_RESTART,
    C.TRY_AGAIN_LATER,
    C.BAD_GATEWAY,
    4000,
    4499,
  ])
    assert.equal(shouldReconnect(code), true, String(code));
  for (const code of [
    C.NORMAL,
    C.PROTOCOL_ERROR,
    C.UNSUPPORTED_DATA,
    C.INVALID_PAYLOAD,
    C.POLICY_VIOLATION,
    C.MESSAGE_TOO_BIG,
    C.MANDATORY_EXTENSION,
    4500,
    4999,
    3000,
    5000,
  ])
    assert.equal(shouldReconnect(code), false, String(code));
});
