// A LocalChannel keeps its per-codec and join/leave maps only while they have subscribers: a codec's last subscriber
// leaving and a new one arriving, or the last watcher leaving and another one watching, must change nothing seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, startHub, type TestClient } from '../helpers/realtime.ts';

const MSGPACK = { protocols: ['switchboard.v1.msgpack'] };

async function publishAndCollect(pub: TestClient, id: string, readers: TestClient[]): Promise<void> {
  const ack = await pub.request({ type: 'publish', channel: 'chat:mixed', data: id, id: id.replaceAll(' ', '-') });
  assert.equal(ack.type, 'reply', JSON.stringify(ack));
  for (const reader of readers) await reader.next((m) => m.type === 'publication' && m['data'] === id);
}

test('a codec whose last subscriber left gets publications again when another subscribes', async (t) => {
  const hub = await startHub(t);
  const json = await openClient(t, hub, 'json');
  const packed = await openClient(t, hub, 'packed', MSGPACK);
  const stays = await openClient(t, hub, 'stays'); // shares the JSON map with `json` throughout
  const pub = await openClient(t, hub, 'pub');
  for (const c of [json, packed, stays])
    assert.equal((await c.request({ type: 'subscribe', channel: 'chat:mixed' })).type, 'subscribed');
  await publishAndCollect(pub, 'both', [json, packed, stays]);

  await packed.request({ type: 'unsubscribe', channel: 'chat:mixed' });
  await publishAndCollect(pub, 'json only', [json, stays]);
  await packed.request({ type: 'subscribe', channel: 'chat:mixed' });
  await publishAndCollect(pub, 'both again', [json, packed, stays]);

  await json.request({ type: 'unsubscribe', channel: 'chat:mixed' });
  await publishAndCollect(pub, 'packed only', [packed, stays]);
  await json.request({ type: 'subscribe', channel: 'chat:mixed' });
  await publishAndCollect(pub, 'last', [json, packed, stays]);

  await json.request({ type: 'ping' });
  await packed.request({ type: 'ping' });
  const seen = (c: TestClient) => c.received.filter((m) => m.type === 'publication').map((m) => m['data']);
  assert.deepEqual(seen(json), [], 'no publication reached the JSON client while it was away');
  assert.deepEqual(seen(packed), [], 'none reached the MessagePack client while it was away');
});

test('join and leave reach a new watcher after the last watcher of the channel left', async (t) => {
  const hub = await startHub(t);
  const first = await openClient(t, hub, 'first');
  await first.request({ type: 'subscribe', channel: 'chat:w', presence: true });
  const ann = await openClient(t, hub, 'ann');
  await ann.request({ type: 'subscribe', channel: 'chat:w' });
  assert.equal((await first.next((m) => m.type === 'join' && m['user'] === 'ann'))['channel'], 'chat:w');
  await first.request({ type: 'unsubscribe', channel: 'chat:w' });

  const second = await openClient(t, hub, 'second', MSGPACK);
  const subscribed = await second.request({ type: 'subscribe', channel: 'chat:w', presence: true });
  assert.deepEqual(
    (subscribed['presence'] as { user: string }[]).map((u) => u.user).sort(),
    ['ann', 'second'],
    'the presence list is right after the first watcher left',
  );
  await ann.request({ type: 'unsubscribe', channel: 'chat:w' });
  assert.equal((await second.next((m) => m.type === 'leave'))['user'], 'ann');
  await ann.request({ type: 'subscribe', channel: 'chat:w' });
  assert.equal((await second.next((m) => m.type === 'join' && m['user'] === 'ann'))['user'], 'ann');
});
