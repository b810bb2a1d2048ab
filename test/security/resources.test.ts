// docs/security-cases.md §4.7 engine rows (RX-01..06, 08..11, 16) and FR-15: slow, silent and greedy peers against a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { RawClient, expectHttpStatus, frame, frames, handshakeRequest, type RawClient as Raw } from '../helpers/raw.ts';
import { hostile, hostileChild } from '../helpers/hostile.ts';
import { MiB } from '../helpers/memory.ts';

const KiB = 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a raw WebSocket from a given loopback source address (127.0.0.2 counts as another IP). */
async function openFrom(port: number, localAddress: string): Promise<Raw> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  const c = new RawClient(socket);
  await c.write(handshakeRequest({}, port));
  const head = await c.readHttpHead();
  assert.equal(head.status, 101, `from ${localAddress}: ${head.statusLine}`);
  return c;
}

test('FR-15 server memory stays flat when a peer floods 125-byte pings and never reads the pongs (RFC 6455 §5.5.3)', async (t) => {
  const fx = await hostileChild(t);
  const before = await fx.retained();
  const c = await fx.open();
  c.stopReading();
  const batch = Buffer.concat(Array.from({ length: 256 }, (_, i) => frames.ping(Buffer.alloc(125, i & 0xff))));
  const started = Date.now();
  let written = 0;
  while (written < 48 * MiB && Date.now() - started < 8_000 && !c.closed) {
    await Promise.race([c.write(batch), sleep(1_000)]);
    written += batch.length;
  }
  const during = await fx.retained();
  assert.ok(
    during - before < 16 * MiB,
    `${(written / MiB).toFixed(1)} MiB of pings; server retained ${((during - before) / MiB).toFixed(1)} MiB`,
  );
  c.destroy();
  await fx.verify();
});

test('RX-01 slow reader with slowConsumerPolicy "close": the server closes it (1008) instead of queueing 3000 x 4 KiB', async (t) => {
  const fx = await hostile(t, { sendHighWaterMark: 64 * KiB, slowConsumerPolicy: 'close', closeTimeoutMs: 500 });
  const c = await fx.open();
  c.stopReading();
  await c.write(frames.text('__cmd:flood:3000:4096'));
  const closes = await fx.server.waitCloses(1, 5_000);
  assert.ok([1008, 1006].includes(closes[0]!.code), `local close ${closes[0]!.code}`);
  assert.ok(
    fx.server.stats.maxBuffered <= 64 * KiB + 4096 + 16,
    `bufferedAmount reached ${fx.server.stats.maxBuffered}`,
  );
  c.startReading();
  assert.ok(await c.waitEnd(5_000), 'socket released');
  await fx.verify();
});

test('RX-01 slow reader with slowConsumerPolicy "drop": bufferedAmount never passes the high-water mark and the connection survives', async (t) => {
  const fx = await hostile(t, { sendHighWaterMark: 64 * KiB, slowConsumerPolicy: 'drop' });
  const c = await fx.open();
  c.stopReading();
  await c.write(frames.text('__cmd:flood:3000:4096'));
  const deadline = Date.now() + 5_000;
  while (fx.server.stats.floodSent < 3000 && Date.now() < deadline) await sleep(20);
  assert.equal(fx.server.stats.floodSent, 3000);
  assert.ok(
    fx.server.stats.maxBuffered <= 64 * KiB + 4096 + 16,
    `bufferedAmount reached ${fx.server.stats.maxBuffered}`,
  );
  c.startReading();
  // Drain what was kept, then the connection still echoes.
  await c.write(frames.text('still-alive'));
  for (let i = 0; i < 3001; i++) {
    const m = await c.readMessage();
    if (m.opcode === 1 && m.data.toString() === 'still-alive') break;
    assert.ok(i < 3000, 'echo never arrived');
  }
  await fx.verify();
});

test('RX-03 half-open peer (never reads, never answers): heartbeat terminates it, 1006 locally', async (t) => {
  const fx = await hostile(t, { pingIntervalMs: 200, pongTimeoutMs: 200 });
  const c = await fx.open();
  c.stopReading();
  const closes = await fx.server.waitCloses(1, 3_000);
  assert.equal(closes[0]!.code, 1006);
  c.startReading();
  assert.ok(await c.waitEnd(3_000), 'server did not release the socket');
  await fx.verify();
});

test('RX-04 peer that reads pings but never pongs is closed after the pong timeout; a ponging peer stays', async (t) => {
  const fx = await hostile(t, { pingIntervalMs: 200, pongTimeoutMs: 200 });
  const silent = await fx.open();
  const polite = await fx.open();
  // The polite peer answers every ping, as RFC 6455 §5.5.2 requires.
  let politePongs = 0;
  void (async () => {
    while (!polite.closed) {
      const f = await polite.readFrame(5_000).catch(() => null);
      if (f === null) return;
      if (f.opcode === 0x9) {
        politePongs++;
        await polite.write(frames.pong(f.payload));
      }
    }
  })();
  const first = await silent.readFrame(2_000);
  assert.equal(first.opcode, 0x9, 'the server pings');
  assert.ok(await silent.waitEnd(3_000), 'silent peer not closed');
  await sleep(600);
  assert.equal(polite.closed || polite.ended, false, 'the ponging peer was closed');
  assert.ok(politePongs >= 2, `polite peer saw ${politePongs} pings`);
  polite.destroy();
  await fx.verify();
});

test('RX-05 a frame trickled one byte per 100 ms cannot carry a pong: the heartbeat closes the peer', async (t) => {
  const fx = await hostile(t, { pingIntervalMs: 200, pongTimeoutMs: 300 });
  const c = await fx.open();
  const bytes = frame({ opcode: 2, payload: Buffer.alloc(60 * KiB) });
  const started = Date.now();
  for (let i = 0; i < bytes.length && !c.ended && !c.closed && Date.now() - started < 5_000; i++) {
    await c.write(bytes.subarray(i, i + 1));
    await sleep(100);
  }
  assert.ok(await c.waitEnd(1_000), 'trickling peer still connected after 5 s');
  await fx.verify();
});

test('RX-08 per-IP connection cap answers 503 with Retry-After; another source address is unaffected', async (t) => {
  // The control client is the first connection from 127.0.0.1.
  const fx = await hostile(t, { maxConnectionsPerIp: 3 });
  const p = fx.server.port;
  await fx.open();
  await fx.open();
  const c = await fx.connect();
  await c.write(handshakeRequest({}, p));
  const head = await expectHttpStatus(c, 503);
  assert.ok(head.headers['retry-after'] !== undefined, head.raw);
  const other = await openFrom(p, '127.0.0.2');
  t.after(() => other.destroy());
  await other.write(frames.text('other-ip'));
  assert.equal((await other.readMessage()).data.toString(), 'other-ip');
  other.destroy();
  await fx.verify();
});

test('RX-02 broadcast to 1 stalled + 300 healthy connections: every healthy one gets all 500 messages, fan-out never waits for the stalled one', async (t) => {
  const fx = await hostile(t, { sendHighWaterMark: 256 * KiB, slowConsumerPolicy: 'drop' });
  const stalled = await fx.open();
  stalled.stopReading();
  const healthy: WebSocket[] = [];
  const counts: number[] = [];
  t.after(() => {
    for (const h of healthy) h.terminate();
  });
  for (let i = 0; i < 300; i++) {
    const ws = new WebSocket(fx.server.url);
    counts.push(0);
    ws.on('message', () => counts[i]!++);
    await new Promise<void>((r, j) => ws.once('open', () => r()).once('error', j));
    healthy.push(ws);
  }
  const server = fx.server.server as { broadcast(data: Uint8Array): number };
  const payload = Buffer.alloc(4 * KiB, 0x42);
  const writtenTo: number[] = [];
  for (let m = 0; m < 500; m++) {
    writtenTo.push(server.broadcast(payload));
    if (m % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  const deadline = Date.now() + 15_000;
  while (counts.some((c) => c < 500) && Date.now() < deadline) await sleep(50);
  const short = counts.filter((c) => c < 500).length;
  assert.equal(short, 0, `${short} healthy connections missed messages (min ${Math.min(...counts)})`);
  assert.ok(
    writtenTo.every((n) => n >= 300),
    'broadcast reached every healthy connection each time',
  );
  for (const h of healthy) h.terminate();
  stalled.destroy();
  await fx.verify();
});

test('RX-06 idle connections: retained server memory per idle connection stays within 64 KiB (2000 connections)', async (t) => {
  const fx = await hostileChild(t);
  const base = await fx.retained();
  const clients: Raw[] = [];
  for (let b = 0; b < 2000; b += 100)
    clients.push(...(await Promise.all(Array.from({ length: 100 }, () => fx.open()))));
  await sleep(200);
  const during = await fx.retained();
  const perConnection = (during - base) / clients.length;
  assert.ok(perConnection < 64 * KiB, `${(perConnection / KiB).toFixed(1)} KiB retained per idle connection`);
  t.diagnostic(`retained per idle connection: ${(perConnection / KiB).toFixed(1)} KiB`);
  for (const c of clients) c.destroy();
  await fx.verify(10_000);
});

test('RX-09 a spoofed X-Forwarded-For from a direct client does not bypass the per-IP cap', async (t) => {
  const fx = await hostile(t, { maxConnectionsPerIp: 2 });
  const p = fx.server.port;
  await fx.open({ extra: [['X-Forwarded-For', '203.0.113.7']] });
  const c = await fx.connect();
  await c.write(
    handshakeRequest(
      {
        extra: [
          ['X-Forwarded-For', '198.51.100.9'],
          ['X-Real-IP', '198.51.100.10'],
          ['Forwarded', 'for=198.51.100.11'],
        ],
      },
      p,
    ),
  );
  await expectHttpStatus(c, 503);
  await fx.verify();
});

test('RX-10 global cap: 503 while full, and capacity comes back when a connection leaves', async (t) => {
  const fx = await hostile(t, { maxConnections: 2 });
  const p = fx.server.port;
  const second = await fx.open();
  const full = await fx.connect();
  await full.write(handshakeRequest({}, p));
  await expectHttpStatus(full, 503);
  await second.write(frames.close(1000));
  await second.readClose();
  const deadline = Date.now() + 3_000;
  let reopened: Raw | null = null;
  while (reopened === null && Date.now() < deadline) {
    reopened = await fx.open().catch(() => null);
    if (reopened === null) await sleep(50);
  }
  assert.ok(reopened !== null, 'no capacity 3 s after a connection left');
  await fx.verify();
});

test('RX-11 file descriptor exhaustion (ulimit -n 128, 200 sockets): the server keeps running and recovers', async (t) => {
  const fx = await hostileChild(t, {}, { maxFds: 128 });
  const sockets: net.Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  for (let i = 0; i < 200; i++) {
    const s = net.connect({ port: fx.child.port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    s.write(handshakeRequest({}, fx.child.port));
    sockets.push(s);
  }
  await sleep(1_000);
  assert.ok(fx.child.alive(), `server died under EMFILE: ${fx.child.output.join('\n').slice(-2000)}`);
  for (const s of sockets) s.destroy();
  await sleep(500);
  // Recovered: a new connection works and the control client still echoes.
  const deadline = Date.now() + 5_000;
  let ok = false;
  while (!ok && Date.now() < deadline) {
    const c = await fx.open().catch(() => null);
    if (c === null) {
      await sleep(100);
      continue;
    }
    await c.write(frames.text('after-emfile'));
    ok = (await c.readMessage()).data.toString() === 'after-emfile';
    c.destroy();
  }
  assert.ok(ok, 'no new connection accepted 5 s after the descriptors were released');
  await fx.verify();
});

test('RX-16 churn: 500 connections opened and closed (clean, RST, EOF) leave handles, timers and memory at the baseline', async (t) => {
  const fx = await hostileChild(t, { pingIntervalMs: 60_000 });
  const cycle = async (n: number, offset: number) => {
    for (let b = 0; b < n; b += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - b) }, () => fx.open()));
      await Promise.all(
        batch.map(async (c, i) => {
          const kind = (b + i + offset) % 3;
          if (kind === 0) {
            await c.write(frames.close(1000));
            await c.readClose().catch(() => undefined);
            await c.waitEnd(3_000);
          } else if (kind === 1) c.reset();
          else c.end();
          c.destroy();
        }),
      );
    }
  };
  await cycle(30, 0);
  await fx.verify();
  const base = await fx.child.mem();
  await cycle(500, 1);
  await fx.verify();
  const after = await fx.child.mem();
  const handles = (m: typeof base) => (m.resources['TCPSocketWrap'] ?? 0) + (m.resources['TCPWRAP'] ?? 0);
  const timers = (m: typeof base) => m.resources['Timeout'] ?? 0;
  assert.ok(
    handles(after) <= handles(base),
    `sockets ${JSON.stringify(base.resources)} -> ${JSON.stringify(after.resources)}`,
  );
  assert.ok(
    timers(after) <= timers(base) + 1,
    `timers ${JSON.stringify(base.resources)} -> ${JSON.stringify(after.resources)}`,
  );
  const grown = after.heapUsed + after.arrayBuffers - (base.heapUsed + base.arrayBuffers);
  assert.ok(grown < 4 * MiB, `retained grew ${(grown / MiB).toFixed(2)} MiB over 500 connections`);
});
