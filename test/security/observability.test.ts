// docs/security-cases.md §0.5: every hostile case moves a signal: the engine publishes on node:diagnostics_channel, never with a token.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { DiagnosticsChannel } from '../../src/engine/index.ts';
import { expectClose, expectHttpStatus, frames, handshakeRequest, hex } from '../helpers/raw.ts';
import { hostile } from '../helpers/hostile.ts';

type Msg = Record<string, unknown>;

/** Collects messages published on `name` for the rest of the test. */
function collect(t: TestContext, name: string): Msg[] {
  const seen: Msg[] = [];
  const fn = (m: unknown) => seen.push(m as Msg);
  diagnosticsChannel.subscribe(name, fn);
  t.after(() => diagnosticsChannel.unsubscribe(name, fn));
  return seen;
}

async function until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The message without live objects, as a log line would serialize it. */
function loggable(m: Msg): string {
  return JSON.stringify(m, (k, v: unknown) => (k === 'socket' || k === 'error' ? undefined : v));
}

test('a rejected handshake publishes handshake-rejected with the status, and the token in the query is not in it', async (t) => {
  const rejected = collect(t, DiagnosticsChannel.HANDSHAKE_REJECTED);
  const fx = await hostile(t);
  const c = await fx.connect();
  await c.write(handshakeRequest({ path: '/?token=s3cr3t-t0ken', version: '8' }, fx.server.port));
  await expectHttpStatus(c, 426);
  await until(() => rejected.length > 0, 'handshake-rejected message');
  assert.equal(rejected[0]!['status'], 426);
  assert.equal(typeof rejected[0]!['reason'], 'string');
  assert.ok(!loggable(rejected[0]!).includes('s3cr3t-t0ken'), `token leaked: ${loggable(rejected[0]!)}`);
  await fx.verify();
});

test('a protocol failure publishes close with the code sent (1002) and an error message', async (t) => {
  const closes = collect(t, DiagnosticsChannel.CLOSE);
  const errors = collect(t, DiagnosticsChannel.ERROR);
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(hex('81 02 6869'));
  await expectClose(c, 1002);
  await until(() => closes.some((m) => m['code'] === 1002), 'close message with 1002');
  assert.ok(errors.length >= 1, 'error channel message for the protocol failure');
  await fx.verify();
});

test('an abrupt loss publishes close with 1006 and wasClean false', async (t) => {
  const closes = collect(t, DiagnosticsChannel.CLOSE);
  const fx = await hostile(t);
  const c = await fx.open();
  await c.write(frames.binary(Buffer.alloc(100)).subarray(0, 10));
  c.reset();
  await until(() => closes.some((m) => m['code'] === 1006), 'close message with 1006');
  assert.equal(closes.find((m) => m['code'] === 1006)!['wasClean'], false);
  await fx.verify();
});

test('the slow-consumer policy publishes slow-consumer with its action', async (t) => {
  const slow = collect(t, DiagnosticsChannel.SLOW_CONSUMER);
  const fx = await hostile(t, { sendHighWaterMark: 64 * 1024, slowConsumerPolicy: 'close', closeTimeoutMs: 300 });
  const c = await fx.open();
  c.stopReading();
  await c.write(frames.text('__cmd:flood:1000:4096'));
  await until(() => slow.length > 0, 'slow-consumer message');
  assert.equal(slow[0]!['policy'], 'close');
  assert.ok(typeof slow[0]!['bufferedAmount'] === 'number' && (slow[0]!['bufferedAmount'] as number) > 0);
  c.destroy();
  await fx.verify();
});

test('a heartbeat pong publishes ping with a round-trip time', async (t) => {
  const pings = collect(t, DiagnosticsChannel.PING);
  const fx = await hostile(t, { pingIntervalMs: 100, pongTimeoutMs: 1_000 });
  // The control client (ws) answers pings automatically.
  await until(() => pings.length > 0, 'ping message', 3_000);
  assert.ok(typeof pings[0]!['rttMs'] === 'number' && (pings[0]!['rttMs'] as number) >= 0);
  await fx.verify();
});
