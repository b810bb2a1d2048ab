// idleTimeoutMs over real sockets: a connection that sends no application message is closed with 4506 (no
// reconnect), whatever pings (WebSocket frames or the protocol's `ping`) and deliveries it sees; traffic keeps it open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DisconnectCode, shouldReconnect } from '../../src/messages/index.ts';
import { openClient, startHub } from '../helpers/realtime.ts';

const IDLE_MS = 600;

test('pings do not count: WebSocket pings and `ping` messages still end in 4506 idle timeout, reconnect false', async (t) => {
  const hub = await startHub(t, { idleTimeoutMs: IDLE_MS, engine: { pingIntervalMs: 100, pongTimeoutMs: 2000 } });
  const alice = await openClient(t, hub, 'alice');
  const started = Date.now();
  let wsPings = 0;
  alice.ws.on('ping', () => wsPings++);
  const pinger = setInterval(() => alice.send({ type: 'ping', rid: alice.rid() }), 100);
  t.after(() => clearInterval(pinger));
  const disconnect = await alice.next((m) => m.type === 'disconnect', 3000);
  const closed = await alice.waitClose();
  clearInterval(pinger);
  const elapsed = Date.now() - started;
  assert.deepEqual(disconnect, { type: 'disconnect', code: 4506, reason: 'idle timeout', reconnect: false });
  assert.deepEqual(closed, { code: DisconnectCode.IDLE_TIMEOUT, reason: 'idle timeout' });
  assert.ok(elapsed >= IDLE_MS - 50 && elapsed < IDLE_MS + 1500, `closed after ${elapsed} ms`);
  assert.ok(wsPings >= 3, `the engine pinged (${wsPings}) and was answered`);
  assert.ok(alice.received.filter((m) => m.type === 'reply').length >= 3, 'the ping messages were answered');
  assert.equal(shouldReconnect(4506), false, 'the 4500-4999 range: do not reconnect');
});

test('application messages keep a connection open; deliveries to a silent listener do not', async (t) => {
  const hub = await startHub(t, { idleTimeoutMs: IDLE_MS });
  const talker = await openClient(t, hub, 'alice');
  const listener = await openClient(t, hub, 'bob');
  await listener.request({ type: 'subscribe', channel: 'chat:idle' });
  const listenerSubscribedAt = Date.now();
  // The talker publishes every 150 ms for 3 idle periods: each publish is application traffic.
  for (let i = 0; i < 12; i++) {
    await talker.request({ type: 'publish', channel: 'chat:idle', data: i, id: `p${i}` });
    await sleep(150);
  }
  assert.equal(talker.closeCode, null, 'the talker is still open after three idle periods');
  const closed = await listener.waitClose(100);
  assert.equal(closed.code, 4506, 'the listener received publications but sent nothing');
  assert.ok(
    listener.received.some((m) => m.type === 'publication'),
    'it did receive deliveries',
  );
  assert.ok(Date.now() - listenerSubscribedAt >= IDLE_MS);
  const talkerClosed = await talker.waitClose(IDLE_MS + 1500);
  assert.equal(talkerClosed.code, 4506, 'once the talker stops, it idles out too');
});

test('idleTimeoutMs is off by default, and a bad value is refused at construction', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  await sleep(IDLE_MS + 300);
  assert.equal(alice.closeCode, null);
  assert.equal((await alice.request({ type: 'ping' })).type, 'reply');
  for (const bad of [-1, 1.5, Number.NaN])
    await assert.rejects(async () => startHub(t, { idleTimeoutMs: bad }), /Cannot use idleTimeoutMs/);
});
