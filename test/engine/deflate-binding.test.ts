// Tests of the permessage-deflate paths of src/engine/socket-binding.ts: reading pauses while a frame inflates, control frames keep their order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from '../../src/engine/index.ts';
import { frame, frames } from '../helpers/raw.ts';
import { FakeSocket, fakeUpgradeRequest, nextConnection, waitFor } from '../helpers/engine-fixtures.ts';
import { deflateMessage, Inflater } from '../helpers/deflate.ts';

async function fakeDeflateConnection(t: {
  after(fn: () => unknown): void;
}): Promise<{ socket: FakeSocket; ws: WebSocket; received: string[] }> {
  const wss = new WebSocketServer({ noServer: true, pingIntervalMs: 0, perMessageDeflate: true });
  t.after(() => wss.close({ timeoutMs: 50 }));
  const socket = new FakeSocket();
  const conn = nextConnection(wss);
  wss.handleUpgrade(
    fakeUpgradeRequest(randomBytes(16).toString('base64'), { 'sec-websocket-extensions': 'permessage-deflate' }),
    socket as never,
    Buffer.alloc(0),
  );
  const ws = await conn;
  t.after(() => ws.terminate());
  assert.equal(ws.extensions, 'permessage-deflate');
  const received: string[] = [];
  ws.onmessage = (e) => {
    received.push(String(e.data).slice(0, 20));
    ws.send(String(e.data).length > 100 ? 'big' : (e.data as string));
  };
  return { socket, ws, received };
}

test('reading pauses while a compressed frame inflates and resumes after it; a ping behind it waits for the inflate (all decoding pauses)', async (t) => {
  const { socket, received } = await fakeDeflateConnection(t);
  const before = socket.writes.length;
  // Record when reading pauses and resumes, and how many messages were dispatched by then.
  const calls: string[] = [];
  const pause = socket.pause.bind(socket);
  const resume = socket.resume.bind(socket);
  socket.pause = () => {
    calls.push(`pause after ${received.length}`);
    return pause();
  };
  socket.resume = () => {
    calls.push(`resume after ${received.length}`);
    return resume();
  };
  const big = deflateMessage(Buffer.alloc(8 * 1024 * 1024, 0x61));
  socket.feed(
    Buffer.concat([
      frames.text('first'),
      frame({ opcode: 1, rsv1: true, payload: big }),
      frames.ping('after'),
      frames.text('last'),
    ]),
  );
  await waitFor(() => received.length === 3, 'all three messages');
  await waitFor(() => !socket.isPaused(), 'reading resumed');
  // Paused once the message before the compressed frame was dispatched; resumed once the frame was inflated.
  assert.deepEqual(calls, ['pause after 1', 'resume after 3']);
  assert.deepEqual(received, ['first', 'a'.repeat(20), 'last']);
  // On the wire: echo "first" (before the pause), then the pong (the core answers the ping as soon as it is
  // decoded after the inflate, as in any read), then the echoes of the inflated message and of "last".
  await waitFor(() => socket.written().length > 0 && socket.writes.length > before, 'replies');
  await new Promise((r) => setTimeout(r, 20));
  const out = Buffer.concat(socket.writes.slice(before).flat());
  const seen: string[] = [];
  const inflater = new Inflater();
  let at = 0;
  while (at < out.length) {
    const rsv1 = (out[at]! & 0x40) !== 0;
    const opcode = out[at]! & 0x0f;
    const len = out[at + 1]! & 0x7f;
    const payload = out.subarray(at + 2, at + 2 + len);
    seen.push(
      opcode === 0xa
        ? `pong:${payload.toString()}`
        : rsv1
          ? (await inflater.message(payload)).toString()
          : payload.toString(),
    );
    at += 2 + len;
  }
  inflater.close();
  assert.deepEqual(seen, ['first', 'pong:after', 'big', 'last']);
});

test('a peer that resets the connection mid-inflate releases the connection without errors (docs/security-cases.md CL-08)', async (t) => {
  const { socket, ws } = await fakeDeflateConnection(t);
  const errors: unknown[] = [];
  ws.onerror = (e) => errors.push(e);
  const closed = new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
  socket.feed(frame({ opcode: 2, rsv1: true, payload: deflateMessage(Buffer.alloc(16 * 1024 * 1024)) }));
  socket.destroy();
  assert.equal(await closed, 1006);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(errors, []);
});
