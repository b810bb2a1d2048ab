// Tests for where a failure lands in the output (RFC 6455 §5.2, §7.1.7): frames are processed in
// order, and what the owner sends while handling the events before a bad frame leaves before the
// Close frame, however the input was chunked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, serializeFrame } from '../../src/protocol/index.ts';
import type { ConnectionEvent, Role } from '../../src/protocol/index.ts';

const KEY = new Uint8Array([1, 2, 3, 4]);
const ROLES: Role[] = ['server', 'client'];
const conn = (role: Role) => new Connection({ role, maskKeySource: () => KEY });

function peer(role: Role, opcode: number, payload: string, fin = true): Uint8Array {
  return new Uint8Array(
    Buffer.concat(
      serializeFrame(opcode, new TextEncoder().encode(payload), {
        fin,
        maskKey: role === 'server' ? new Uint8Array([9, 8, 7, 6]) : null,
      }),
    ),
  );
}

/** Opcodes and payloads of our own output (unmasking the client's frames). */
function frames(parts: Uint8Array[]): Array<[number, string]> {
  const all = Buffer.concat(parts);
  const out: Array<[number, string]> = [];
  let i = 0;
  while (i < all.length) {
    const op = all[i]! & 0x0f;
    const masked = (all[i + 1]! & 0x80) !== 0;
    const len = all[i + 1]! & 0x7f; // our test frames are short
    i += 2;
    const key = masked ? all.subarray(i, i + 4) : null;
    if (masked) i += 4;
    const payload = Buffer.from(all.subarray(i, i + len));
    if (key !== null) for (let k = 0; k < payload.length; k++) payload[k]! ^= key[k & 3]!;
    out.push([op, op === 8 ? String(payload.readUInt16BE(0)) : payload.toString()]);
    i += len;
  }
  return out;
}

const stream = (role: Role) =>
  new Uint8Array(
    Buffer.concat([peer(role, 1, 'one'), peer(role, 2, 'two'), peer(role, 3, 'bad'), peer(role, 1, 'after')]),
  );

for (const role of ROLES) {
  test(`${role}: replies to the messages before a reserved opcode leave before the 1002 Close; later input is discarded`, () => {
    const c = conn(role);
    c.receive(stream(role));
    // The close event follows the messages in the same batch; sends still work while they are handled.
    const events = c.takeEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['message', 'message', 'close'],
    );
    const close = events[2] as Extract<ConnectionEvent, { type: 'close' }>;
    assert.equal(close.code, 1002);
    assert.equal(close.error?.code, 'WS_ERR_INVALID_OPCODE');
    assert.equal(c.canSend, true);
    assert.equal(c.hasOutput, true, 'the deferred Close counts as output');
    for (const e of events) if (e.type === 'message') c.sendText(`re:${Buffer.from(e.data).toString()}`);
    c.receive(peer(role, 1, 'ignored'));
    assert.equal(c.hasEvents, false, 'input after the bad frame is discarded');
    assert.deepEqual(frames(c.takeOutput()), [
      [1, 're:one'],
      [1, 're:two'],
      [8, '1002'],
    ]);
    assert.equal(c.lifecycle.phase, 'closed');
    assert.equal(c.lifecycle.phase === 'closed' && c.lifecycle.failure, close.error);
    assert.equal(c.canSend, false);
    assert.equal(c.hasOutput, false);
    assert.deepEqual(c.takeEvents(), [], 'one close event only');
  });

  test(`${role}: one byte at a time gives the same output as one read`, () => {
    const c = conn(role);
    const bytes = stream(role);
    for (let i = 0; i < bytes.length; i++) {
      c.receive(bytes.subarray(i, i + 1));
      for (const e of c.takeEvents()) if (e.type === 'message') c.sendText(`re:${Buffer.from(e.data).toString()}`);
    }
    assert.deepEqual(frames(c.takeOutput()), [
      [1, 're:one'],
      [1, 're:two'],
      [8, '1002'],
    ]);
  });

  test(`${role}: a bad frame first fails at once (no events to wait for)`, () => {
    const c = conn(role);
    c.receive(peer(role, 3, 'bad'));
    assert.equal(c.lifecycle.phase, 'closed');
    assert.equal(c.canSend, false);
    assert.deepEqual(frames(c.takeOutput()), [[8, '1002']]);
  });

  test(`${role}: close() or fail() while the Close is deferred: one Close frame, one close event, the peer's violation recorded`, () => {
    const closing = conn(role);
    closing.receive(stream(role));
    assert.equal(closing.takeEvents().length, 3);
    closing.close(1000);
    assert.deepEqual(frames(closing.takeOutput()), [[8, '1000']], 'the owner closed first on the wire');
    assert.equal(closing.lifecycle.phase === 'closed' && closing.lifecycle.failure?.closeCode, 1002);
    assert.deepEqual(closing.takeEvents(), []);

    const failing = conn(role);
    failing.receive(stream(role));
    failing.takeEvents();
    failing.fail(1011, 'Internal');
    assert.deepEqual(frames(failing.takeOutput()), [[8, '1002']], 'the violation reported first wins');
    assert.deepEqual(failing.takeEvents(), []);
    assert.throws(() => failing.fail(5000), RangeError, 'codes are still checked');
  });
}
