// Tests of src/engine/socket-binding.ts (and the FrameSender it extends): write batching, backpressure policies, bounded reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { randomBytes } from 'node:crypto';
import { DiagnosticsChannel, WebSocketServer, type WebSocket } from '../../src/engine/index.ts';
import { RawClient, frames } from '../helpers/raw.ts';
import {
  FakeSocket,
  fakeUpgradeRequest,
  nextConnection,
  nextEvent,
  sleep,
  startServer,
  waitFor,
} from '../helpers/engine-fixtures.ts';

async function fakeConnection(
  t: { after(fn: () => unknown): void },
  onConnection?: (ws: WebSocket) => void,
): Promise<{ socket: FakeSocket; ws: WebSocket }> {
  const wss = new WebSocketServer({ noServer: true, pingIntervalMs: 0 });
  t.after(() => wss.close({ timeoutMs: 50 }));
  const socket = new FakeSocket();
  const conn = nextConnection(wss);
  if (onConnection !== undefined) wss.on('connection', onConnection);
  wss.handleUpgrade(fakeUpgradeRequest(randomBytes(16).toString('base64')), socket as never, Buffer.alloc(0));
  const ws = await conn;
  t.after(() => ws.terminate());
  return { socket, ws };
}

test('the replies to one read leave in one write call (one syscall)', async (t) => {
  const { socket } = await fakeConnection(t, (ws) => {
    ws.onmessage = (e) => ws.send(e.data as string);
  });
  assert.equal(socket.writes.length, 1, 'the 101 response');
  assert.match(socket.writes[0]![0]!.toString('latin1'), /^HTTP\/1\.1 101 /);
  const batch = Buffer.concat(Array.from({ length: 10 }, (_, i) => frames.text(`m${i}`)));
  socket.feed(batch);
  await waitFor(() => socket.writes.length > 1, 'the echoes');
  await sleep(20);
  assert.equal(socket.writes.length, 2, 'ten echoes in a single write');
  const out = Buffer.concat(socket.writes[1]!);
  assert.equal(out.length, 10 * 4);
  assert.deepEqual(out.subarray(0, 4), Buffer.from([0x81, 0x02, 0x6d, 0x30]));
});

test('large replies to one read are corked into one writev', async (t) => {
  const { socket } = await fakeConnection(t, (ws) => {
    ws.onmessage = (e) => ws.send(e.data as Buffer);
  });
  const big = Buffer.alloc(40_000, 1);
  socket.feed(Buffer.concat([frames.binary(big), frames.binary(big)]));
  await waitFor(() => socket.writes.length > 1, 'the echoes');
  await sleep(20);
  assert.equal(socket.writes.length, 2);
  assert.equal(socket.writes[1]!.length, 4, 'two [header, payload] pairs in one writev');
});

test('sends made outside a read in one tick are written once', async (t) => {
  const { socket, ws } = await fakeConnection(t);
  const before = socket.writes.length;
  for (let i = 0; i < 5; i++) ws.send(`tick ${i}`);
  assert.ok(ws.bufferedAmount > 0, 'queued bytes count in bufferedAmount');
  await new Promise((r) => setImmediate(r));
  assert.equal(socket.writes.length, before + 1);
  assert.equal(ws.bufferedAmount, 0);
});

test('an automatic pong produced by a read is written with that read (RFC 6455 §5.5.2)', async (t) => {
  const { socket } = await fakeConnection(t);
  socket.feed(frames.ping('abc'));
  await waitFor(() => socket.writes.length > 1, 'the pong');
  assert.deepEqual(Buffer.concat(socket.writes[1]!), Buffer.from([0x8a, 0x03, 0x61, 0x62, 0x63]));
});

async function stalledPair(
  t: { after(fn: () => unknown): void },
  options: ConstructorParameters<typeof WebSocketServer>[0] extends infer O ? Omit<O & object, 'port'> : never,
) {
  const { wss, port } = await startServer(t as never, { pingIntervalMs: 0, ...options });
  const conn = nextConnection(wss);
  const client = await RawClient.open(port);
  client.stopReading();
  t.after(() => client.destroy());
  const server = await conn;
  return { wss, client, server };
}

test("slow consumer 'drop': sends beyond the high-water mark are dropped and memory stays bounded (RX-01)", async (t) => {
  const hwm = 256 * 1024;
  const { server } = await stalledPair(t, { sendHighWaterMark: hwm, slowConsumerPolicy: 'drop' });
  const chunk = Buffer.alloc(4096, 0x61);
  let dropped = 0;
  let maxBuffered = 0;
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 100; i++) {
      if (!server.send(chunk)) dropped++;
      maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    }
    await sleep(5);
  }
  assert.ok(dropped > 0, 'some messages were dropped');
  assert.ok(maxBuffered <= hwm + 64 * 1024, `bufferedAmount peaked at ${maxBuffered}`);
  assert.equal(server.readyState, server.OPEN, "'drop' keeps the connection");
});

test("slow consumer 'close': the connection is closed within bounded time and memory stays bounded (RX-01)", async (t) => {
  const hwm = 128 * 1024;
  const { server } = await stalledPair(t, {
    sendHighWaterMark: hwm,
    slowConsumerPolicy: 'close',
    slowConsumerCloseCode: 1013,
    closeTimeoutMs: 200,
  });
  const closed = nextEvent<{ code: number }>(server, 'close', 5_000);
  const chunk = Buffer.alloc(4096, 0x62);
  let refusedAt = -1;
  let maxBuffered = 0;
  for (let i = 0; i < 10_000 && refusedAt < 0; i++) {
    if (!server.send(chunk)) refusedAt = i;
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    if (i % 100 === 99) await sleep(1);
  }
  assert.ok(refusedAt > 0, 'a send was refused');
  assert.equal(server.readyState, server.CLOSING);
  assert.equal(server.send(chunk), false, 'nothing is queued once closing');
  assert.ok(maxBuffered <= hwm + 64 * 1024, `bufferedAmount peaked at ${maxBuffered}`);
  await closed;
  assert.equal(server.readyState, server.CLOSED);
});

test("slow consumer 'wait': everything is queued and the crossing is published once", async (t) => {
  const hwm = 64 * 1024;
  const { server } = await stalledPair(t, { sendHighWaterMark: hwm, slowConsumerPolicy: 'wait' });
  const seen: Array<{ action: string }> = [];
  const listener = (m: unknown): void => void seen.push(m as { action: string });
  diagnosticsChannel.subscribe(DiagnosticsChannel.SLOW_CONSUMER, listener);
  t.after(() => diagnosticsChannel.unsubscribe(DiagnosticsChannel.SLOW_CONSUMER, listener));
  const chunk = Buffer.alloc(4096, 0x63);
  for (let i = 0; i < 100; i++) assert.equal(server.send(chunk), true);
  assert.ok(server.bufferedAmount > hwm);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.action, 'queued');
});

test('a peer that floods without reading the replies cannot grow server memory: reading pauses (LM-07)', async (t) => {
  const { wss, port } = await startServer(t, { pingIntervalMs: 0 });
  let server: WebSocket | null = null;
  wss.on('connection', (ws) => {
    server = ws;
    ws.onmessage = (e) => ws.send(e.data as Buffer);
  });
  const client = await RawClient.open(port);
  t.after(() => client.destroy());
  client.stopReading();
  const one = frames.binary(Buffer.alloc(16 * 1024, 7));
  const flood = Buffer.concat(Array.from({ length: 2048 }, () => one)); // 32 MiB of echo requests
  void client.write(flood);
  await waitFor(() => server !== null, 'connection');
  let maxBuffered = 0;
  for (let i = 0; i < 40; i++) {
    maxBuffered = Math.max(maxBuffered, server!.bufferedAmount);
    await sleep(10);
  }
  assert.ok(
    client.socket.writableLength > 8 * 1024 * 1024,
    'the server stopped reading, so the flood waits at the client',
  );
  assert.ok(maxBuffered < 4 * 1024 * 1024, `server bufferedAmount peaked at ${maxBuffered}`);
});

test('a pong flood against a non-reading peer keeps the output bounded (FR-15)', async (t) => {
  const { wss, port } = await startServer(t, { pingIntervalMs: 0 });
  const conn = nextConnection(wss);
  const client = await RawClient.open(port);
  t.after(() => client.destroy());
  client.stopReading();
  const server = await conn;
  const pings = Buffer.concat(Array.from({ length: 20_000 }, () => frames.ping('x'.repeat(125))));
  void client.write(pings);
  let maxBuffered = 0;
  for (let i = 0; i < 30; i++) {
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
    await sleep(10);
  }
  assert.ok(maxBuffered < 4 * 1024 * 1024, `server bufferedAmount peaked at ${maxBuffered}`);
});

test('server-wide budget for incomplete messages: the connection that crosses it fails with 1013 (LM-06)', async (t) => {
  const { wss, port } = await startServer(t, { pingIntervalMs: 0, maxBufferedInputBytes: 64 * 1024 });
  const first = await RawClient.open(port);
  const second = await RawClient.open(port);
  t.after(() => {
    first.destroy();
    second.destroy();
  });
  await waitFor(() => wss.clients.size === 2, 'two clients');
  await first.write(frames.binary(Buffer.alloc(40 * 1024, 1), false)); // FIN=0: held by the server
  await sleep(50);
  await second.write(frames.binary(Buffer.alloc(40 * 1024, 2), false));
  assert.equal((await second.readClose()).code, 1013);
  // The first connection is untouched and can finish its message.
  const got = new Promise<number>((resolve) => {
    const [server] = [...wss.clients].filter((ws) => ws.readyState === ws.OPEN);
    server!.onmessage = (e) => resolve((e.data as Buffer).length);
  });
  await first.write(frames.cont(Buffer.alloc(10, 3), true));
  assert.equal(await got, 40 * 1024 + 10);
  // Bytes are returned to the budget: a new connection may buffer again.
  const third = await RawClient.open(port);
  t.after(() => third.destroy());
  await third.write(frames.binary(Buffer.alloc(40 * 1024, 4), false));
  await sleep(50);
  assert.equal(third.closed, false);
});
