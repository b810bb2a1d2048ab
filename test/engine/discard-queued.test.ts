// WebSocket#discardQueued against a real stalled TCP reader: the backlog in user space is dropped, the last message
// and the Close leave right behind what the kernel already held, and the close timeout bounds the end.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerOptions, WebSocket } from '../../src/engine/index.ts';
import { RawClient, frames, type ServerFrame } from '../helpers/raw.ts';
import { nextConnection, nextEvent, sleep, startServer } from '../helpers/engine-fixtures.ts';

const KiB = 1024;
const CHUNK = Buffer.alloc(4 * KiB, 0x61);

async function stalled(
  t: TestContext,
  options: Omit<ServerOptions, 'port'> = {},
): Promise<{ client: RawClient; server: WebSocket }> {
  const { wss, port } = await startServer(t, { pingIntervalMs: 0, ...options });
  const conn = nextConnection(wss);
  const client = await RawClient.open(port);
  client.stopReading();
  t.after(() => client.destroy());
  return { client, server: await conn };
}

/** Sends 4 KiB messages until `backlog` bytes wait in user space (the kernel buffers are full by then). */
async function buildBacklog(server: WebSocket, backlog: number): Promise<number> {
  let sent = 0;
  while (server.bufferedAmount < backlog) {
    assert.ok(sent < 100_000, 'the backlog never built up');
    if (!server.send(CHUNK)) break;
    sent++;
    if (sent % 64 === 0) await sleep(1);
  }
  return sent;
}

/** Reads frames until the Close (answering it) or the end of the stream. */
async function readAll(client: RawClient): Promise<{ binary: number; texts: string[]; close: number | null }> {
  let binary = 0;
  const texts: string[] = [];
  let close: number | null = null;
  for (;;) {
    let frame: ServerFrame;
    try {
      frame = await client.readFrame(3_000);
    } catch {
      return { binary, texts, close };
    }
    if (frame.opcode === 0x2) binary++;
    else if (frame.opcode === 0x1) texts.push(frame.payload.toString('utf8'));
    else if (frame.opcode === 0x8) {
      close = frame.payload.readUInt16BE(0);
      await client.write(frames.close(close));
      return { binary, texts, close };
    }
  }
}

test('discardQueued drops the user-space backlog: the last message and the Close follow what the kernel held', async (t) => {
  const { client, server } = await stalled(t, { closeTimeoutMs: 2_000 });
  const sent = await buildBacklog(server, 512 * KiB);
  const before = server.bufferedAmount;
  const dropped = server.discardQueued();
  assert.ok(dropped >= 256 * KiB, `most of the backlog was discarded (${dropped} of ${before} bytes)`);
  assert.ok(server.bufferedAmount <= before - dropped, 'bufferedAmount no longer counts it');
  assert.equal(server.send('last'), true);
  const closed = nextEvent<{ code: number; wasClean: boolean }>(server, 'close', 5_000);
  server.close(4010, 'slow consumer');
  client.startReading();
  const got = await readAll(client);
  assert.ok(got.binary < sent, `the discarded messages never arrived (${got.binary} of ${sent})`);
  assert.ok(
    got.binary >= sent - Math.ceil(dropped / CHUNK.length) - 1,
    'what was not discarded arrived, in order, before the last message',
  );
  assert.deepEqual(got.texts, ['last']);
  assert.equal(got.close, 4010);
  const event = await closed;
  assert.deepEqual([event.code, event.wasClean], [4010, true]);
});

test('discardQueued keeps a Close already queued and does nothing once closing', async (t) => {
  const { client, server } = await stalled(t, { closeTimeoutMs: 2_000 });
  await buildBacklog(server, 256 * KiB);
  server.close(4000, 'bye');
  assert.equal(server.readyState, server.CLOSING);
  assert.equal(server.discardQueued(), 0);
  client.startReading();
  const got = await readAll(client);
  assert.equal(got.close, 4000, 'the Close arrived behind the whole backlog');
});

test('discardQueued on a connection with nothing queued discards nothing', async (t) => {
  const { server } = await stalled(t);
  assert.equal(server.discardQueued(), 0);
  assert.equal(server.readyState, server.OPEN);
});

test("slow-consumer policy 'close': the peer gets the Close right behind the kernel-held bytes, not behind the backlog", async (t) => {
  const { client, server } = await stalled(t, {
    sendHighWaterMark: 256 * KiB,
    slowConsumerPolicy: 'close',
    slowConsumerCloseCode: 1013,
    closeTimeoutMs: 2_000,
  });
  let sent = 0;
  while (server.send(CHUNK)) {
    sent++;
    if (sent % 64 === 0) await sleep(1);
  }
  assert.equal(server.readyState, server.CLOSING);
  assert.ok(
    server.bufferedAmount < 256 * KiB,
    `the backlog was dropped with the decision (${server.bufferedAmount} bytes left)`,
  );
  const closed = nextEvent<{ code: number }>(server, 'close', 5_000);
  client.startReading();
  const got = await readAll(client);
  assert.ok(got.binary < sent, `${got.binary} of ${sent} messages arrived`);
  assert.equal(got.close, 1013);
  assert.equal((await closed).code, 1013);
});
