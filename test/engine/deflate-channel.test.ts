// Tests of src/engine/deflate-channel.ts over two sans-I/O cores: send order behind compression, inflate seam, shared broadcast frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import {
  Connection,
  Opcode,
  parseFrameHeader,
  serializeFrame,
  type ConnectionEvent,
  type DeflateParams,
} from '../../src/protocol/index.ts';
import { PerMessageDeflate } from '../../src/engine/deflate.ts';
import { BroadcastCompression, DeflateChannel } from '../../src/engine/deflate-channel.ts';

const DEFAULT: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

interface End {
  readonly conn: Connection;
  readonly channel: DeflateChannel;
  queuedCalls: number;
}

function end(role: 'server' | 'client', params: Partial<DeflateParams> = {}, maxMessageSize?: number): End {
  const conn = new Connection(
    maxMessageSize === undefined ? { role, rsv1Extension: true } : { role, rsv1Extension: true, maxMessageSize },
  );
  const pmd = new PerMessageDeflate(
    maxMessageSize === undefined
      ? { role, params: { ...DEFAULT, ...params } }
      : { role, params: { ...DEFAULT, ...params }, maxMessageSize },
  );
  const e: End = {
    conn,
    channel: new DeflateChannel(conn, pmd, { role, hooks: { queued: () => void e.queuedCalls++ } }),
    queuedCalls: 0,
  };
  return e;
}

/** Frames on the wire: [first byte, payload length] per frame (unmasking not needed for these checks). */
function wireFrames(bytes: Buffer): Array<{ rsv1: boolean; opcode: number; length: number }> {
  const out: Array<{ rsv1: boolean; opcode: number; length: number }> = [];
  let at = 0;
  while (at < bytes.length) {
    const h = parseFrameHeader(bytes.subarray(at));
    assert.ok(h !== null, 'complete header');
    out.push({ rsv1: h.header.rsv1, opcode: h.header.opcode, length: h.header.payloadLength });
    at += h.headerLength + h.header.payloadLength;
  }
  return out;
}

/** Moves `from`'s output into `to`, running inflate events through `to`'s channel; returns the events `to` produced. */
async function deliver(from: End, to: End, timeoutMs = 5_000): Promise<{ wire: Buffer; events: ConnectionEvent[] }> {
  const wire = Buffer.concat(from.conn.takeOutput());
  to.conn.receive(Buffer.from(wire)); // a copy: the receiver unmasks in place
  const events: ConnectionEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = to.conn.takeEvents();
    const last = batch.at(-1);
    if (last?.type === 'inflate') {
      events.push(...batch.slice(0, -1));
      await new Promise<void>((resolve) => to.channel.inflate(last.data, last.fin, resolve));
      assert.ok(Date.now() < deadline, 'bounded');
      continue;
    }
    events.push(...batch);
    return { wire, events };
  }
}

/** Waits (bounded) until `check()` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function messages(events: ConnectionEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'message' ? [Buffer.from(e.data).toString()] : []));
}

test('server: a small message sent after a compressing one is not overtaken, and close() waits for both', async () => {
  const server = end('server');
  const client = end('client');
  const big = 'big '.repeat(100_000);
  server.channel.send(Opcode.TEXT, Buffer.from(big));
  assert.ok(server.channel.isBusy);
  assert.ok(server.channel.pendingBytes >= big.length);
  server.channel.send(Opcode.TEXT, Buffer.from('small'));
  server.channel.afterSends(() => server.conn.close(1000, 'done'));
  assert.equal(server.conn.hasOutput, false, 'nothing may leave before the compressed message');
  await until(() => !server.channel.isBusy, 'the queue to drain');
  assert.equal(server.channel.pendingBytes, 0);
  assert.ok(server.queuedCalls > 0, 'the binding was told about the output');
  const { wire, events } = await deliver(server, client);
  assert.deepEqual(
    wireFrames(wire).map((f) => [f.rsv1, f.opcode]),
    [
      [true, Opcode.TEXT],
      [false, Opcode.TEXT],
      [false, Opcode.CLOSE],
    ],
  );
  assert.ok(wireFrames(wire)[0]!.length < 1000, 'compressed');
  assert.deepEqual(messages(events), [big, 'small']);
  assert.ok(events.some((e) => e.type === 'closing' && e.code === 1000));
});

test('client: compressed sends are masked, inflated by the server, in order with plain ones (RFC 7692 §6)', async () => {
  const server = end('server');
  const client = end('client', { clientMaxWindowBits: 10 });
  const sent = ['a'.repeat(2000), 'tiny', `${'b'.repeat(3000)}κόσμε`, 'c'.repeat(1024)];
  for (const m of sent) client.channel.send(Opcode.TEXT, Buffer.from(m));
  const plain = Buffer.from('binary tail');
  client.channel.send(Opcode.BINARY, plain);
  await until(() => !client.channel.isBusy, 'the queue to drain');
  const { wire, events } = await deliver(client, server);
  assert.deepEqual(
    wireFrames(wire).map((f) => f.rsv1),
    [true, false, true, true, false],
  );
  assert.deepEqual(messages(events), [...sent, 'binary tail']);
  assert.deepEqual(plain, Buffer.from('binary tail'), "the caller's buffer is not masked in place");
});

test('fragmented compressed messages from a peer inflate across frames, with control frames between them (RFC 7692 §6.1)', async () => {
  const server = end('server');
  const client = end('client');
  const text = 'fragmented '.repeat(5000);
  const compressed = zlib.deflateRawSync(text, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);
  const third = Math.ceil(compressed.length / 3);
  // RSV1 only on the first frame; continuation frames carry the rest of the compressed bytes.
  client.conn.sendFrame(Opcode.TEXT, compressed.subarray(0, third), { fin: false, rsv1: true });
  client.conn.ping(Buffer.from('mid'));
  client.conn.sendFrame(Opcode.CONTINUATION, compressed.subarray(third, 2 * third), { fin: false });
  client.conn.sendFrame(Opcode.CONTINUATION, compressed.subarray(2 * third), { fin: true });
  const { events } = await deliver(client, server);
  assert.deepEqual(
    events.map((e) => e.type),
    ['ping', 'message'],
  );
  assert.deepEqual(messages(events), [text]);
});

test('an inflated message over maxMessageSize fails the connection with 1009 (docs/security-cases.md PD-06)', async () => {
  const server = end('server', {}, 100_000);
  const client = end('client');
  const bomb = zlib
    .deflateRawSync(Buffer.alloc(50 * 1024 * 1024), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  client.conn.sendFrame(Opcode.BINARY, bomb, { rsv1: true });
  const { events } = await deliver(client, server);
  const close = events.find((e) => e.type === 'close');
  assert.equal(close?.type === 'close' ? close.code : null, 1009);
  assert.equal(server.conn.readyState, 3);
  const answer = wireFrames(Buffer.concat(server.conn.takeOutput()));
  assert.deepEqual(
    answer.map((f) => f.opcode),
    [Opcode.CLOSE],
  );
});

test('invalid DEFLATE data fails the connection with 1007 (docs/security-cases.md PD-08)', async () => {
  const server = end('server');
  const client = end('client');
  client.conn.sendFrame(Opcode.TEXT, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv1: true });
  const { events } = await deliver(client, server);
  const close = events.find((e) => e.type === 'close');
  assert.equal(close?.type === 'close' ? close.error?.code : null, 'WS_ERR_INVALID_COMPRESSED_DATA');
  assert.equal(close?.type === 'close' ? close.code : null, 1007);
});

test('broadcast: connections with server_no_context_takeover share one compressed frame per window size', async () => {
  const a = end('server', { serverNoContextTakeover: true });
  const b = end('server', { serverNoContextTakeover: true });
  const c = end('server', { serverNoContextTakeover: true, serverMaxWindowBits: 10 });
  const d = end('server'); // context takeover: compresses with its own window
  const small = end('server');
  const message = Buffer.from(`{"event":"tick","data":"${'x'.repeat(4000)}"}`);
  const frame = serializeFrame(Opcode.TEXT, message);
  const size = frame[0]!.length + message.length;
  const compression = new BroadcastCompression(Opcode.TEXT, message);
  for (const e of [a, b, c, d]) e.channel.sendBroadcast(frame, size, compression);
  await until(() => ![a, b, c, d].some((e) => e.channel.isBusy), 'every queue to drain');
  const outs = [a, b, c, d].map((e) => e.conn.takeOutput());
  assert.equal(outs[0]![1], outs[1]![1], 'a and b share the same payload buffer');
  assert.notEqual(outs[0]![1], outs[2]![1], 'another window size compresses separately');
  assert.ok(outs[0]![1]!.length < 200);
  for (const [i, out] of outs.entries()) {
    const client = end('client', i === 2 ? { serverNoContextTakeover: true, serverMaxWindowBits: 10 } : {});
    const sender: End = {
      conn: { takeOutput: () => out } as unknown as Connection,
      channel: a.channel,
      queuedCalls: 0,
    };
    const { events } = await deliver(sender, client);
    assert.deepEqual(messages(events), [message.toString()], `connection ${i}`);
  }
  // Below the threshold the shared uncompressed frame goes out as it is.
  const tiny = Buffer.from('hi');
  const tinyFrame = serializeFrame(Opcode.TEXT, tiny);
  small.channel.sendBroadcast(tinyFrame, 4, new BroadcastCompression(Opcode.TEXT, tiny));
  assert.deepEqual(small.conn.takeOutput(), tinyFrame);
});

test('broadcast frames and sends keep their order behind a compression in flight', async () => {
  const server = end('server', { serverNoContextTakeover: true });
  const client = end('client', { serverNoContextTakeover: true });
  server.channel.send(Opcode.TEXT, Buffer.from('first '.repeat(1000)));
  const tiny = Buffer.from('second');
  server.channel.sendBroadcast(serializeFrame(Opcode.TEXT, tiny), 8, new BroadcastCompression(Opcode.TEXT, tiny));
  const shared = Buffer.from('third '.repeat(1000));
  server.channel.sendBroadcast(
    serializeFrame(Opcode.TEXT, shared),
    shared.length + 4,
    new BroadcastCompression(Opcode.TEXT, shared),
  );
  server.channel.send(Opcode.TEXT, Buffer.from('fourth'));
  await until(() => !server.channel.isBusy, 'the queue to drain');
  const { events } = await deliver(server, client);
  assert.deepEqual(messages(events), ['first '.repeat(1000), 'second', 'third '.repeat(1000), 'fourth']);
});

test('close() drops queued sends and releases zlib memory', async () => {
  const server = end('server');
  server.channel.send(Opcode.BINARY, Buffer.alloc(100_000, 1));
  server.channel.send(Opcode.TEXT, Buffer.from('later'));
  server.channel.close();
  server.channel.close();
  assert.equal(server.channel.pendingBytes, 0);
  assert.equal(server.channel.deflate.holdsZlibMemory, false);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.conn.hasOutput, false);
});

test('discardQueued drops sends waiting behind a compression, runs afterSends callbacks, and later messages go uncompressed', async () => {
  const server = end('server');
  const client = end('client');
  const big = 'big '.repeat(100_000);
  server.channel.send(Opcode.TEXT, Buffer.from(big));
  server.channel.send(Opcode.TEXT, Buffer.from('small'));
  let ran = 0;
  server.channel.afterSends(() => void ran++);
  assert.ok(server.channel.isBusy);
  const dropped = server.channel.discardQueued();
  assert.ok(dropped >= big.length + 'small'.length, `${dropped} bytes dropped`);
  assert.equal(ran, 1, 'the callback ran at once');
  assert.deepEqual([server.channel.isBusy, server.channel.pendingBytes], [false, 0]);
  // The peer never saw the dropped message: a compressed follower would need it in the shared window.
  const after = 'after '.repeat(20_000);
  server.channel.send(Opcode.TEXT, Buffer.from(after));
  server.conn.close(4010, 'slow consumer');
  await new Promise((r) => setTimeout(r, 50)); // the compression in flight finishes into nothing
  const { wire, events } = await deliver(server, client);
  assert.deepEqual(
    wireFrames(wire).map((f) => [f.rsv1, f.opcode]),
    [
      [false, Opcode.TEXT],
      [false, Opcode.CLOSE],
    ],
  );
  assert.deepEqual(messages(events), [after]);
  assert.ok(events.some((e) => e.type === 'closing' && e.code === 4010));
});
