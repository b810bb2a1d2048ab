// Fan-out per namespace slow-consumer policy over real connections: a stalled reader is closed (4010) or skipped, others keep receiving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startHub } from '../helpers/realtime.ts';

const NAMESPACES = {
  close: { slowConsumerPolicy: 'close' as const, presence: false },
  drop: { slowConsumerPolicy: 'drop' as const, presence: false },
};

async function stallAndFlood(policy: 'close' | 'drop') {
  return async (t: Parameters<typeof startHub>[0]) => {
    const hub = await startHub(t, {
      namespaces: NAMESPACES,
      slowConsumerBytes: 64 * 1024,
      rateLimit: { messagesPerSecond: 100_000, messagesBurst: 100_000, bytesPerSecond: 1e9, bytesBurst: 1e9 },
      maxMessageSize: 256 * 1024,
    });
    const healthy = await openClient(t, hub, 'healthy');
    const stalled = await openClient(t, hub, 'stalled');
    const pub = await openClient(t, hub, 'pub');
    const channel = `${policy}:room`;
    for (const c of [healthy, stalled])
      assert.equal((await c.request({ type: 'subscribe', channel })).type, 'subscribed');
    // The stalled client stops reading; the kernel buffers fill, then the server's queue grows.
    stalled.ws.pause();
    const big = 'x'.repeat(60_000);
    // Paced by the healthy reader: it never has more than one publication queued, so only the
    // stalled one crosses the slow-consumer threshold (a burst would make any reader "slow").
    let healthyCount = 0;
    for (let i = 1; i <= 200; i++) {
      const ack = await pub.request({ type: 'publish', channel, data: big, id: `f${i}` }, 10_000);
      assert.equal(ack.type, 'reply', JSON.stringify(ack));
      await healthy.next((m) => m.type === 'publication' && m['offset'] === i, 10_000);
      healthyCount++;
    }
    const last = await pub.request({ type: 'publish', channel, data: 'end', id: 'end' }, 10_000);
    assert.equal(last.type, 'reply', JSON.stringify(last));
    await healthy.next((m) => m.type === 'publication' && m['data'] === 'end', 10_000);
    healthyCount++;
    return { hub, stalled, healthyCount };
  };
}

test('slow-consumer policy close: a stalled subscriber is disconnected with 4010 while others get everything', async (t) => {
  const { hub, stalled, healthyCount } = await (await stallAndFlood('close'))(t);
  assert.equal(healthyCount, 201, 'the healthy subscriber received every publication');
  const deadline = Date.now() + 5000;
  while (hub.hub.connectionCount > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(hub.hub.connectionCount, 2, 'the stalled session was ended');
  const ended = [...hub.hub.sessions].every((s) => s.user !== 'stalled');
  assert.ok(ended);
  stalled.ws.resume();
  const disconnect = await stalled.next((m) => m.type === 'disconnect', 10_000);
  assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4010, true]);
});

test('slow-consumer policy drop: a stalled subscriber misses publications but stays connected', async (t) => {
  const { hub, stalled, healthyCount } = await (await stallAndFlood('drop'))(t);
  assert.equal(healthyCount, 201);
  assert.equal(hub.hub.connectionCount, 3);
  stalled.ws.resume();
  await stalled.request({ type: 'ping' }, 10_000);
  const got = stalled.received.filter((m) => m.type === 'publication').length;
  assert.ok(got < 201, `the stalled subscriber missed some (${got})`);
});
