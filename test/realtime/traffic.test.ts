// Per-session traffic counters (the close log line's messagesIn/Out, bytesIn/Out): replies and fan-out deliveries
// alike, under every slow-consumer policy, with skipped echoes and relayed typing events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startHub, type Hub } from '../helpers/realtime.ts';

function trafficOf(hub: Hub, user: string) {
  const session = [...hub.hub.sessions].find((s) => s.user === user);
  assert.ok(session !== undefined, `a session of ${user}`);
  return { ...session.traffic };
}

for (const policy of ['wait', 'close', 'drop'] as const) {
  test(`traffic counters count every message each way (slowConsumerPolicy ${policy})`, async (t) => {
    const hub = await startHub(t, { namespaces: { room: { slowConsumerPolicy: policy } } });
    const alice = await openClient(t, hub, 'alice');
    const bob = await openClient(t, hub, 'bob');
    await bob.request({ type: 'subscribe', channel: 'room:a' });
    await alice.request({ type: 'subscribe', channel: 'room:a' });
    await alice.request({ type: 'publish', channel: 'room:a', data: 'one', id: '1' });
    await alice.request({ type: 'publish', channel: 'room:a', data: 'two', id: '2', echo: false });
    await alice.request({ type: 'typing', channel: 'room:a', on: true });
    await bob.next((m) => m.type === 'typing');
    await bob.next((m) => m.type === 'publication' && m['data'] === 'two');
    await alice.next((m) => m.type === 'publication' && m['data'] === 'one');
    // Bob in: connect, subscribe. Out: connected, subscribed, two publications, typing.
    const b = trafficOf(hub, 'bob');
    assert.deepEqual([b.messagesIn, b.messagesOut], [2, 5]);
    // Alice in: connect, subscribe, 2 publishes, typing. Out: connected, subscribed, 3 replies, publication one only.
    const a = trafficOf(hub, 'alice');
    assert.deepEqual([a.messagesIn, a.messagesOut], [5, 6]);
    assert.ok(b.bytesIn > 0 && b.bytesOut > b.messagesOut * 20, JSON.stringify(b));
  });
}
