// Tests of src/engine/heartbeat.ts: ping RTT, pong matching, dead-peer detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { connect, DiagnosticsChannel, InvalidStateError, type WebSocketCloseEvent } from '../../src/engine/index.ts';
import { PingTracker } from '../../src/engine/heartbeat.ts';

/** A tracker whose pings, dead-peer calls and heartbeat round trips go to the given functions. */
class TestTracker extends PingTracker {
  readonly #host: { send: (p: Uint8Array) => void; dead: () => void; rtt: (ms: number) => void };

  constructor(
    host: { send: (p: Uint8Array) => void; dead: () => void; rtt: (ms: number) => void },
    options: { pingIntervalMs: number; pongTimeoutMs: number },
  ) {
    super(options);
    this.#host = host;
  }

  protected sendPingFrame(payload: Uint8Array): void {
    this.#host.send(payload);
  }

  protected peerDead(): void {
    this.#host.dead();
  }

  protected heartbeatRtt(rttMs: number): void {
    this.#host.rtt(rttMs);
  }
}
import { RawClient } from '../helpers/raw.ts';
import { nextConnection, nextEvent, sleep, startServer } from '../helpers/engine-fixtures.ts';

test('ping() resolves with the round-trip time, from either side', async (t) => {
  const { wss, url } = await startServer(t, { pingIntervalMs: 0 });
  const conn = nextConnection(wss);
  const client = await connect(url);
  const server = await conn;
  const rtt = await server.ping(Buffer.from('srv'));
  assert.ok(rtt >= 0 && Number.isFinite(rtt));
  assert.equal(server.latencyMs, rtt);
  assert.ok((await client.ping()) >= 0);
  assert.throws(() => client.ping(Buffer.alloc(126)), RangeError);
  client.close();
});

test('ping() rejects when the connection closes first, and is safe to ignore', async (t) => {
  const { wss, port } = await startServer(t, { pingIntervalMs: 0 });
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port); // never answers pings
  const server = await conn;
  const pending = server.ping();
  void server.ping(); // ignored: must not become an unhandled rejection
  raw.destroy();
  await assert.rejects(pending, InvalidStateError);
  await assert.rejects(server.ping(), InvalidStateError);
});

test('heartbeat terminates a peer that never answers pings (RX-03, RX-04)', async (t) => {
  const { wss, port } = await startServer(t, { pingIntervalMs: 50, pongTimeoutMs: 100 });
  const conn = nextConnection(wss);
  const raw = await RawClient.open(port);
  const server = await conn;
  const closed = nextEvent<WebSocketCloseEvent>(server, 'close', 3_000);
  const first = await raw.readFrame();
  assert.equal(first.opcode, 0x9, 'the server pinged');
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
  assert.equal(await raw.waitClosed(), true);
});

test('heartbeat keeps a live peer and publishes RTT samples on the ping channel', async (t) => {
  const samples: number[] = [];
  const listener = (m: unknown): void => void samples.push((m as { rttMs: number }).rttMs);
  diagnosticsChannel.subscribe(DiagnosticsChannel.PING, listener);
  t.after(() => diagnosticsChannel.unsubscribe(DiagnosticsChannel.PING, listener));
  const { wss, url } = await startServer(t, { pingIntervalMs: 30, pongTimeoutMs: 100 });
  const conn = nextConnection(wss);
  const client = await connect(url);
  const server = await conn;
  await sleep(300);
  assert.equal(server.readyState, server.OPEN);
  assert.ok(samples.length >= 2, `samples: ${samples.length}`);
  assert.notEqual(server.latencyMs, null);
  client.close();
});

test('a pong settles the ping it echoes and every earlier one (RFC 6455 §5.5.3); unsolicited pongs are ignored', async () => {
  const sent: Uint8Array[] = [];
  const tracker = new TestTracker(
    { send: (p) => void sent.push(p), dead: () => {}, rtt: () => {} },
    { pingIntervalMs: 0, pongTimeoutMs: 0 },
  );
  const a = tracker.ping(new Uint8Array([1]));
  const b = tracker.ping(new Uint8Array([2]));
  const c = tracker.ping(new Uint8Array([3]));
  tracker.pong(new Uint8Array([9])); // unsolicited
  tracker.pong(new Uint8Array([2]));
  assert.ok((await a) >= 0);
  assert.ok((await b) >= 0);
  let cSettled = false;
  void c.then(
    () => (cSettled = true),
    () => (cSettled = true),
  );
  await sleep(5);
  assert.equal(cSettled, false);
  tracker.stopPings();
  await assert.rejects(c, InvalidStateError);
  assert.equal(sent.length, 3);
});

test('heartbeat pings use distinct payloads and the timeout terminates once', async () => {
  let terminated = 0;
  const sent: Uint8Array[] = [];
  const tracker = new TestTracker(
    { send: (p) => void sent.push(p), dead: () => void terminated++, rtt: () => {} },
    { pingIntervalMs: 10, pongTimeoutMs: 20 },
  );
  tracker.startHeartbeat();
  await sleep(15);
  assert.equal(sent.length, 1);
  tracker.pong(sent[0]!);
  await sleep(15);
  assert.equal(sent.length, 2);
  assert.notDeepEqual(sent[0], sent[1]);
  await sleep(60);
  assert.equal(terminated, 1);
  tracker.stopPings();
});

test('heartbeat and ping() settle each other in send order: a pong answers its ping and every earlier one', async () => {
  const sent: Uint8Array[] = [];
  const rtts: number[] = [];
  const tracker = new TestTracker(
    { send: (p) => void sent.push(p), dead: () => {}, rtt: (ms) => void rtts.push(ms) },
    { pingIntervalMs: 10, pongTimeoutMs: 1_000 },
  );
  const early = tracker.ping(new Uint8Array([7]));
  tracker.startHeartbeat();
  await sleep(20);
  assert.equal(sent.length, 2); // the ping() and the heartbeat
  const late = tracker.ping(new Uint8Array([8]));
  // The heartbeat's pong settles the earlier ping() but not the later one.
  tracker.pong(sent[1]!);
  assert.ok((await early) >= 0);
  assert.equal(rtts.length, 1);
  let lateSettled = false;
  void late.then(() => (lateSettled = true));
  await sleep(1);
  assert.equal(lateSettled, false);
  // The next heartbeat is sent after the interval; a pong to the later ping() answers it too.
  await sleep(20);
  assert.equal(sent.length, 4);
  tracker.pong(new Uint8Array([8]));
  assert.ok((await late) >= 0);
  assert.equal(rtts.length, 1, 'the heartbeat sent after the ping() is still pending');
  tracker.pong(sent[3]!);
  assert.equal(rtts.length, 2);
  assert.notEqual(tracker.lastRttMs, null);
  tracker.stopPings();
});
