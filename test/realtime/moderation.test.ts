// Moderation on one node: deleting publications (roles, authors, tombstones, the `deleted` event), bans at connect,
// refresh and subscribe, kicks from a channel, and the address deny-list at the handshake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, type HistoryOptions, type HistoryResult } from '../../src/broker/index.ts';
import { handshakeStatus, openClient, openRaw, startHub } from '../helpers/realtime.ts';

type Item = { offset: number; data?: unknown; deleted?: boolean; sender?: string };

test('an author deletes their own publication: subscribers get deleted, history and a fresh subscribe show a tombstone', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  await bob.request({ type: 'subscribe', channel: 'chat:room' });
  const published = (await alice.request({ type: 'publish', channel: 'chat:room', data: 'oops', id: 'm1' }))[
    'data'
  ] as { epoch: string; offset: number };
  await alice.request({ type: 'publish', channel: 'chat:room', data: 'kept', id: 'm2' });
  const reply = await alice.request({ type: 'delete', channel: 'chat:room', offset: published.offset });
  assert.deepEqual(reply['data'], {
    channel: 'chat:room',
    epoch: published.epoch,
    offset: published.offset,
    alreadyDeleted: false,
  });
  await bob.next((m) => m.type === 'publication' && m['offset'] === 2);
  assert.deepEqual(await bob.next((m) => m.type === 'deleted'), {
    type: 'deleted',
    channel: 'chat:room',
    epoch: published.epoch,
    offset: published.offset,
  });
  const history = (await bob.request({ type: 'history', channel: 'chat:room' }))['data'] as {
    publications: Item[];
  };
  assert.deepEqual(
    history.publications.map((p) => [p.offset, p.deleted ?? false, p.data ?? null]),
    [
      [1, true, null],
      [2, false, 'kept'],
    ],
  );
  assert.equal(Object.hasOwn(history.publications[0]!, 'data'), false, 'a tombstone carries no data on the wire');
  assert.equal(Object.hasOwn(history.publications[0]!, 'sender'), false);
  const carol = await openClient(t, hub, 'carol', { protocols: ['switchboard.v1.msgpack'] });
  const subscribed = await carol.request({ type: 'subscribe', channel: 'chat:room' });
  assert.deepEqual(
    (subscribed['publications'] as Item[]).map((p) => [p.offset, p.deleted ?? false]),
    [
      [1, true],
      [2, false],
    ],
  );
  const again = await alice.request({ type: 'delete', channel: 'chat:room', offset: published.offset });
  assert.equal((again['data'] as { alreadyDeleted: boolean }).alreadyDeleted, true);
});

test("a user cannot delete another user's publication; a moderator and an admin can", async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  const bob = await openClient(t, hub, 'bob');
  const mod = await openClient(t, hub, 'mod', { roles: ['moderator'] });
  const admin = await openClient(t, hub, 'root', { roles: ['admin'] });
  for (let i = 1; i <= 3; i++) await alice.request({ type: 'publish', channel: 'chat:r', data: i, id: `a${i}` });
  const refused = await bob.request({ type: 'delete', channel: 'chat:r', offset: 1 });
  assert.deepEqual([refused.type, refused['code']], ['error', 'forbidden']);
  const history = (await bob.request({ type: 'history', channel: 'chat:r' }))['data'] as { publications: Item[] };
  assert.deepEqual(
    history.publications.map((p) => p.data),
    [1, 2, 3],
    'nothing changed',
  );
  assert.equal((await mod.request({ type: 'delete', channel: 'chat:r', offset: 1 })).type, 'reply');
  assert.equal((await admin.request({ type: 'delete', channel: 'chat:r', offset: 2 })).type, 'reply');
  // A server publication has no sender: only moderators may delete it.
  await hub.hub.publish('chat:r', 'announcement');
  assert.equal((await alice.request({ type: 'delete', channel: 'chat:r', offset: 4 }))['code'], 'forbidden');
  assert.equal((await mod.request({ type: 'delete', channel: 'chat:r', offset: 4 })).type, 'reply');
});

test('delete refuses bad offsets, unknown channels, disabled history and anonymous users with codes, and loses nothing', async (t) => {
  const hub = await startHub(t, { anonymous: ['anonymous'] });
  const alice = await openClient(t, hub, 'alice');
  const anon = await openClient(t, hub, null);
  await alice.request({ type: 'publish', channel: 'chat:c', data: 'x', id: 'x1' });
  const cases: [Record<string, unknown>, string][] = [
    [{ channel: 'chat:c', offset: -1 }, 'invalid_message'],
    [{ channel: 'chat:c', offset: 1.5 }, 'invalid_message'],
    [{ channel: 'chat:c', offset: '1' }, 'invalid_message'],
    [{ channel: 'chat:c', offset: 2 ** 53 }, 'invalid_message'],
    [{ channel: 'chat:c', offset: Number.MAX_SAFE_INTEGER }, 'not_found'],
    [{ channel: 'chat:c', offset: 0 }, 'not_found'],
    [{ channel: 'chat:c', offset: 99 }, 'not_found'],
    [{ channel: 'chat:c', offset: 1, epoch: 'not-the-epoch' }, 'not_found'],
    [{ channel: 'nope:c', offset: 1 }, 'not_found'],
    [{ channel: 'chat:*', offset: 1 }, 'invalid_message'],
    [{ channel: 'nohist:c', offset: 1 }, 'not_available'],
    [{ channel: 'chat:c', offset: 1, extra: true }, 'invalid_message'],
  ];
  for (const [fields, code] of cases) {
    const answer = await alice.request({ type: 'delete', ...fields });
    assert.deepEqual([answer.type, answer['code']], ['error', code], JSON.stringify(fields));
  }
  assert.equal((await anon.request({ type: 'delete', channel: 'chat:c', offset: 1 }))['code'], 'forbidden');
  const history = (await alice.request({ type: 'history', channel: 'chat:c' }))['data'] as { publications: Item[] };
  assert.deepEqual(
    history.publications.map((p) => p.data),
    ['x'],
  );
  assert.equal(alice.closeCode, null, 'refusals do not close the connection');
});

test('a ban refuses connect with forbidden and 4504, closes live sessions, refuses subscribe and refresh, and ends', async (t) => {
  const hub = await startHub(t);
  const live = await openClient(t, hub, 'mallory');
  const result = await hub.hub.moderation.ban('mallory', 60_000, 'spam');
  assert.equal(result.disconnected, 1);
  assert.equal((await live.waitClose()).code, 4504);
  const again = await openRaw(t, hub.url);
  const refused = await again.request({ type: 'connect', token: await hub.token('mallory') });
  assert.deepEqual([refused.type, refused['code']], ['error', 'forbidden']);
  const disconnect = await again.next((m) => m.type === 'disconnect');
  assert.deepEqual([disconnect['code'], disconnect['reconnect']], [4504, false]);
  assert.equal((await again.waitClose()).code, 4504);
  assert.deepEqual(
    (await hub.hub.moderation.bans()).map((b) => [b.user, b.reason]),
    [['mallory', 'spam']],
  );

  // A ban stored without the signal (another deployment's tool, a node that missed it) still stops subscribe and refresh.
  const eve = await openClient(t, hub, 'eve');
  await hub.broker.ban('eve', 60_000, '');
  const sub = await eve.request({ type: 'subscribe', channel: 'chat:x' });
  assert.deepEqual([sub.type, sub['code']], ['error', 'forbidden']);
  const refresh = await eve.request({ type: 'refresh', token: await hub.token('eve') });
  assert.deepEqual([refresh.type, refresh['code']], ['error', 'forbidden']);
  assert.equal((await eve.waitClose()).code, 4504);

  assert.equal(await hub.hub.moderation.unban('mallory'), true);
  await openClient(t, hub, 'mallory');
});

test('ban, kick and delete refuse bad arguments from the server side with RangeError', async (t) => {
  const hub = await startHub(t);
  const m = hub.hub.moderation;
  for (const duration of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 366 * 86_400_000])
    await assert.rejects(() => m.ban('u', duration, ''), RangeError, String(duration));
  await assert.rejects(() => m.ban('', 1000, ''), RangeError);
  await assert.rejects(() => m.ban('a\u0000b', 1000, ''), RangeError);
  await assert.rejects(() => m.ban('x'.repeat(256), 1000, ''), RangeError);
  await assert.rejects(() => m.ban('u', 1000, 'r'.repeat(201)), RangeError);
  await assert.rejects(() => m.ban('u', 1000, 'bell\u0007'), RangeError);
  await assert.rejects(() => m.kick('u', 'chat:*'), RangeError);
  await assert.rejects(() => m.kick('u', 'nope:x'), RangeError);
  assert.throws(() => m.deletePublication('chat:x', -1), RangeError);
  assert.deepEqual(await m.bans(), []);
});

test('a kick unsubscribes every session of the user from the channel, leaves presence, and does not ban', async (t) => {
  const hub = await startHub(t);
  const [a1, a2] = [await openClient(t, hub, 'alice'), await openClient(t, hub, 'alice')];
  const bob = await openClient(t, hub, 'bob');
  for (const c of [a1, a2]) {
    await c.request({ type: 'subscribe', channel: 'chat:k' });
    await c.request({ type: 'subscribe', channel: 'chat:other' });
  }
  await bob.request({ type: 'subscribe', channel: 'chat:k', presence: true });
  assert.equal(await hub.hub.moderation.kick('alice', 'chat:k', 'flooding'), 2);
  for (const c of [a1, a2]) {
    assert.deepEqual(await c.next((m) => m.type === 'unsubscribed'), {
      type: 'unsubscribed',
      channel: 'chat:k',
      code: 'forbidden',
      reason: 'flooding',
    });
  }
  assert.equal((await bob.next((m) => m.type === 'leave'))['user'], 'alice');
  const presence = (await bob.request({ type: 'presence', channel: 'chat:k' }))['data'] as { users: unknown[] };
  assert.deepEqual(
    presence.users.map((u) => (u as { user: string }).user),
    ['bob'],
  );
  await alice2Publishes(a1);
  assert.equal((await a1.request({ type: 'subscribe', channel: 'chat:k' })).type, 'subscribed', 'may come back');

  async function alice2Publishes(c: typeof a1): Promise<void> {
    // Still subscribed elsewhere: the kick touched only chat:k.
    await bob.request({ type: 'subscribe', channel: 'chat:other' });
    await c.request({ type: 'publish', channel: 'chat:other', data: 'still here', id: 'p1' });
    assert.equal((await bob.next((m) => m.type === 'publication'))['data'], 'still here');
  }
});

test('a denied address gets 403 at the handshake; X-Forwarded-For counts only through a trusted proxy', async (t) => {
  const denied = await startHub(t, { denyAddresses: ['127.0.0.0/8'] });
  assert.equal(await handshakeStatus(denied.url), 403);
  const proxied = await startHub(t, {
    denyAddresses: ['203.0.113.0/24', '2001:db8::/32'],
    trustedProxies: ['127.0.0.1'],
  });
  assert.equal(await handshakeStatus(proxied.url, { headers: { 'X-Forwarded-For': '203.0.113.9' } }), 403);
  assert.equal(await handshakeStatus(proxied.url, { headers: { 'X-Forwarded-For': '2001:db8::1' } }), 403);
  assert.equal(await handshakeStatus(proxied.url, { headers: { 'X-Forwarded-For': '198.51.100.1' } }), 101);
  const untrusted = await startHub(t, { denyAddresses: ['203.0.113.0/24'] });
  assert.equal(
    await handshakeStatus(untrusted.url, { headers: { 'X-Forwarded-For': '127.0.0.1, 203.0.113.9' } }),
    101,
    'a client cannot get a bystander refused by claiming its address',
  );
});

test('a malformed denyAddresses entry is a clear error when the server is built', async (t) => {
  await assert.rejects(
    () => startHub(t, { denyAddresses: ['203.0.113.0/33'] }),
    (err: Error) =>
      err instanceof TypeError && /denyAddresses/.test(err.message) && /203\.0\.113\.0\/33/.test(err.message),
  );
  await assert.rejects(() => startHub(t, { denyAddresses: ['not-an-ip'] }), /denyAddresses/);
});

/** A MemoryBroker that deletes a publication right after a history read returns: the tightest race with a recovery. */
class DeleteAfterRead extends MemoryBroker {
  armed: { channel: string; offset: number } | null = null;
  override async history(channel: string, options?: HistoryOptions): Promise<HistoryResult> {
    const result = await super.history(channel, options);
    const armed = this.armed;
    if (armed !== null && armed.channel === channel && options?.since !== undefined) {
      this.armed = null;
      await this.deletePublication(armed.channel, armed.offset);
    }
    return result;
  }
}

test('a delete landing between the recovery read and going live reaches the client as deleted after the data', async (t) => {
  const broker = new DeleteAfterRead({ sweepIntervalMs: 0 });
  const hub = await startHub(t, { broker });
  let epoch = '';
  for (let i = 1; i <= 5; i++) epoch = (await hub.hub.publish('chat:race', `m${i}`)).epoch;
  broker.armed = { channel: 'chat:race', offset: 4 };
  const reader = await openClient(t, hub, 'reader');
  const subscribed = await reader.request({ type: 'subscribe', channel: 'chat:race', since: { epoch, offset: 2 } });
  const recovered = subscribed['publications'] as Item[];
  assert.deepEqual(
    recovered.map((p) => [p.offset, p.data]),
    [
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
    ],
    'the read came before the delete',
  );
  assert.deepEqual(await reader.next((m) => m.type === 'deleted'), {
    type: 'deleted',
    channel: 'chat:race',
    epoch,
    offset: 4,
  });
});

test('a kick with a duration bans the user from that channel only, until it ends or is lifted', async (t) => {
  const hub = await startHub(t);
  const alice = await openClient(t, hub, 'alice');
  await alice.request({ type: 'subscribe', channel: 'chat:k' });
  assert.equal(await hub.hub.moderation.kick('alice', 'chat:k', 'cool down', 300), 1);
  await alice.next((m) => m.type === 'unsubscribed');
  const refused = await alice.request({ type: 'subscribe', channel: 'chat:k' });
  assert.deepEqual([refused.type, refused['code']], ['error', 'forbidden']);
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:other' })).type, 'subscribed');
  assert.deepEqual(
    (await hub.hub.moderation.bans()).map((b) => [b.user, b.channel, b.reason]),
    [['alice', 'chat:k', 'cool down']],
  );
  await new Promise((resolve) => setTimeout(resolve, 350));
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:k' })).type, 'subscribed', 'it ended');
  await hub.hub.moderation.kick('alice', 'chat:k', '', 60_000);
  await alice.next((m) => m.type === 'unsubscribed');
  assert.equal(await hub.hub.moderation.unban('alice', 'chat:k'), true);
  assert.equal((await alice.request({ type: 'subscribe', channel: 'chat:k' })).type, 'subscribed', 'lifted');
  await assert.rejects(() => hub.hub.moderation.kick('alice', 'chat:k', '', 0), RangeError);
  await assert.rejects(() => hub.hub.moderation.kick('alice', 'chat:k', '', 366 * 86_400_000), RangeError);
});
