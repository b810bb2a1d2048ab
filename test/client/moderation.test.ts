// The client SDK and moderation: deletePublication, the subscription's `deleted` event (live, and for tombstones met
// on join and in a recovery), and history items that are tombstones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket as UndiciWebSocket } from 'undici';
import { Client, ClientError, type DeletedEvent, type TransportFactory } from '../../src/client/index.ts';
import { startHub } from '../helpers/realtime.ts';

const transport: TransportFactory = (url, protocols) => new UndiciWebSocket(url, protocols) as never;

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('deletePublication resolves on the ack; subscribers get deleted; history carries deleted: true', async (t) => {
  const hub = await startHub(t);
  const alice = new Client({ url: hub.url, transport, token: await hub.token('alice') });
  const bob = new Client({ url: hub.url, transport, token: await hub.token('bob') });
  t.after(() => {
    alice.close();
    bob.close();
  });
  await Promise.all([alice.connect(), bob.connect()]);
  const seen: DeletedEvent[] = [];
  const texts: unknown[] = [];
  const sub = bob.subscription('chat:sdk');
  sub.on('deleted', (e) => seen.push(e));
  sub.on('publication', (p) => texts.push(p.data));
  await sub.subscribe();
  const placed = await alice.publish('chat:sdk', 'oops');
  const reply = await alice.deletePublication('chat:sdk', placed.offset, { epoch: placed.epoch });
  assert.deepEqual(reply, { channel: 'chat:sdk', epoch: placed.epoch, offset: placed.offset, alreadyDeleted: false });
  await until(() => seen.length === 1, 'the deleted event');
  assert.deepEqual(seen, [{ channel: 'chat:sdk', epoch: placed.epoch, offset: placed.offset }]);
  assert.deepEqual(texts, ['oops'], 'the publication came first');
  const history = await bob.history('chat:sdk');
  assert.deepEqual(history.publications, [
    {
      channel: 'chat:sdk',
      epoch: placed.epoch,
      offset: placed.offset,
      time: history.publications[0]!.time,
      deleted: true,
    },
  ]);
  await assert.rejects(
    () => bob.deletePublication('chat:sdk', placed.offset + 5),
    (err: unknown) => err instanceof ClientError && err.code === 'not_found',
  );
  const other = await bob.publish('chat:sdk', 'mine');
  await assert.rejects(
    () => alice.deletePublication('chat:sdk', other.offset),
    (err: unknown) => err instanceof ClientError && err.code === 'forbidden',
  );
});

test('a tombstone in the last N on join and in a recovery is a deleted event in its place, and the position moves on', async (t) => {
  const hub = await startHub(t);
  for (let i = 1; i <= 3; i++) await hub.hub.publish('chat:late', `m${i}`);
  await hub.hub.moderation.deletePublication('chat:late', 2);
  const carol = new Client({ url: hub.url, transport, token: await hub.token('carol') });
  t.after(() => carol.close());
  await carol.connect();
  const order: string[] = [];
  const sub = carol.subscription('chat:late');
  sub.on('publication', (p) => order.push(`p${p.offset}`));
  sub.on('deleted', (e) => order.push(`d${e.offset}`));
  await sub.subscribe();
  assert.deepEqual(order, ['p1', 'd2', 'p3']);
  assert.equal(sub.position?.offset, 3);

  // Offline while two more are published and one deleted: the recovery brings the tombstone in order.
  await carol.unsubscribe('chat:late');
  await hub.hub.publish('chat:late', 'm4');
  await hub.hub.publish('chat:late', 'm5');
  await hub.hub.moderation.deletePublication('chat:late', 4);
  order.length = 0;
  const again = carol.subscription('chat:late');
  again.on('publication', (p) => order.push(`p${p.offset}`));
  again.on('deleted', (e) => order.push(`d${e.offset}`));
  const answer = await again.subscribe();
  assert.equal(answer.recovered, true);
  assert.deepEqual(order, ['d4', 'p5']);
});
