// Connection.outputBytes: the exact size of what takeOutput() would return, for both roles and every way output is queued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, Opcode, serializeFrame } from '../../src/protocol/index.ts';

function total(out: Uint8Array[]): number {
  return out.reduce((n, b) => n + b.length, 0);
}

for (const role of ['server', 'client'] as const) {
  test(`${role}: outputBytes counts headers of every length form and masking keys exactly, and resets on takeOutput`, () => {
    const conn = new Connection({ role });
    assert.equal(conn.outputBytes, 0);
    conn.sendText('hi'); // 7-bit length
    conn.sendBinary(new Uint8Array(300)); // 16-bit length
    conn.sendBinary(new Uint8Array(70_000)); // 64-bit length
    conn.sendFrame(Opcode.TEXT, new TextEncoder().encode('part'), { fin: false });
    conn.sendFrame(Opcode.CONTINUATION, new Uint8Array(0));
    conn.ping(new Uint8Array(5));
    conn.pong();
    const mask = role === 'client' ? 4 : 0;
    const expected =
      2 +
      mask +
      2 +
      (4 + mask + 300) +
      (10 + mask + 70_000) +
      (2 + mask + 4) +
      (2 + mask) +
      (2 + mask + 5) +
      (2 + mask);
    assert.equal(conn.outputBytes, expected);
    const out = conn.takeOutput();
    assert.equal(total(out), expected);
    assert.equal(conn.outputBytes, 0);
    conn.close(1000, 'bye');
    assert.equal(conn.outputBytes, 2 + mask + 2 + 3);
    assert.equal(total(conn.takeOutput()), 2 + mask + 2 + 3);
  });

  test(`${role}: outputBytes follows automatic pongs, including the one the newest ping replaces (FR-15)`, () => {
    const server = new Connection({ role: role === 'server' ? 'client' : 'server' });
    const conn = new Connection({ role });
    for (let i = 0; i < 40; i++) server.ping(new Uint8Array(i % 7));
    conn.receive(Buffer.concat(server.takeOutput()));
    assert.ok(conn.outputBytes > 0);
    assert.equal(conn.outputBytes, total(conn.takeOutput()));
  });
}

test('server: a prebuilt broadcast frame counts its exact bytes', () => {
  const conn = new Connection({ role: 'server' });
  conn.sendPrebuilt(serializeFrame(Opcode.TEXT, new Uint8Array(200)));
  assert.equal(conn.outputBytes, 4 + 200);
  assert.equal(total(conn.takeOutput()), 204);
});
