// `for await` over a subscription against a real hub: iterating subscribes an idle subscription, the first loop reads
// what the `subscribed` answer carried (last-N-on-join, `since` recovery) even when it starts after `await subscribe()`,
// later loops read only newer publications, a refusal ends the loop with the server's code, `break` keeps the
// subscription, and the buffers stay bounded.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/index.ts';
import { Client, ClientError, type Subscription } from '../../src/client/index.ts';
import type { PublicationMessage } from '../../src/messages/index.ts';
import { createAuthenticator, createNamespaces, RealtimeServer } from '../../src/realtime/index.ts';
import { engineTransport, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { SECRET } from '../helpers/realtime.ts';

/** Publications the `subscribed` answer carries on a fresh join. */
const ON_JOIN = 3;

async function startHub(t: TestContext): Promise<string> {
  const broker = new MemoryBroker();
  const hub = new RealtimeServer({
    port: 0,
    broker,
    namespaces: createNamespaces({ chat: { historySize: 100, recoverOnJoin: ON_JOIN } }),
    authenticator: await createAuthenticator({ keys: [{ type: 'secret', secret: SECRET }] }),
  });
  const address = await hub.wss.listen();
  t.after(async () => {
    await hub.drain({ timeoutMs: 300 });
    await broker.close();
  });
  return `ws://127.0.0.1:${address.port}/ws`;
}

async function connected(t: TestContext, url: string, user: string): Promise<Client> {
  const client = new Client({ url, transport: engineTransport, token: await tokenFor(user) });
  t.after(() => client.close());
  await client.connect();
  return client;
}

async function publishTexts(client: Client, channel: string, texts: readonly string[]): Promise<void> {
  for (const text of texts) await client.publish(channel, { text });
}

/** Reads `sub` until `count` publications came (or the loop ends), and returns their texts. */
async function read(sub: AsyncIterable<PublicationMessage>, count: number): Promise<string[]> {
  const texts: string[] = [];
  for await (const p of sub) {
    texts.push((p.data as { text: string }).text);
    if (texts.length === count) break;
  }
  return texts;
}

test('iteration: a loop started before subscribe() reads the publications of the subscribed answer, then live ones, in order', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  await publishTexts(writer, 'chat:before', ['a', 'b', 'c', 'd']);
  const sub = reader.subscription('chat:before');
  const offsets: number[] = [];
  const reading = (async () => {
    const texts: string[] = [];
    for await (const p of sub) {
      texts.push((p.data as { text: string }).text);
      offsets.push(p.offset);
      if (texts.length === ON_JOIN + 2) break;
    }
    return texts;
  })();
  const answer = await sub.subscribe();
  assert.equal(answer.publications.length, ON_JOIN);
  await publishTexts(writer, 'chat:before', ['e', 'f']);
  assert.deepEqual(await reading, ['b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(offsets, [2, 3, 4, 5, 6]);

  // Started before subscribe() too, but its `for await` only begins once the answer was processed.
  const other = await connected(t, url, 'other');
  const late = other.subscription('chat:before');
  const lateReading = (async () => {
    await new Promise((resolve) => late.once('subscribed', resolve));
    return read(late, ON_JOIN + 1);
  })();
  await late.subscribe();
  await publishTexts(writer, 'chat:before', ['g']);
  assert.deepEqual(await lateReading, ['d', 'e', 'f', 'g']);
});

test('iteration: the first loop started after `await subscribe()` still reads the subscribed answer (last-N-on-join and since recovery)', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  await publishTexts(writer, 'chat:after', ['a', 'b', 'c', 'd', 'e']);

  const joiner = await connected(t, url, 'joiner');
  const onJoin = joiner.subscription('chat:after');
  await onJoin.subscribe();
  const joined = read(onJoin, ON_JOIN + 1);
  await publishTexts(writer, 'chat:after', ['f']);
  assert.deepEqual(await joined, ['c', 'd', 'e', 'f']);

  const recovering = await connected(t, url, 'recovering');
  const epoch = onJoin.position!.epoch;
  const since = recovering.subscription('chat:after', { since: { epoch, offset: 1 } });
  const answer = await since.subscribe();
  assert.equal(answer.recovered, true);
  const recovered = read(since, 6);
  await publishTexts(writer, 'chat:after', ['g']);
  assert.deepEqual(await recovered, ['b', 'c', 'd', 'e', 'f', 'g']);
});

test('iteration: a loop over an idle subscription subscribes it and receives; it does not subscribe twice', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  const sub = reader.subscription('chat:idle');
  assert.equal(sub.state, 'idle');
  let subscribes = 0;
  sub.on('subscribed', () => subscribes++);
  const reading = read(sub, 2);
  assert.equal(sub.state, 'subscribing', 'starting to iterate subscribes');
  await waitFor(() => sub.state === 'subscribed', 3000);
  const second = read(sub, 2);
  await publishTexts(writer, 'chat:idle', ['x', 'y']);
  assert.deepEqual(await reading, ['x', 'y']);
  assert.deepEqual(await second, ['x', 'y']);
  assert.equal(subscribes, 1);
});

test('iteration: a refused subscribe ends the loop with the server code instead of hanging', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const reader = await connected(t, url, 'reader');
  const sub = reader.subscription('nowhere:room');
  await assert.rejects(read(sub, 1), (e: unknown) => e instanceof ClientError && e.code === 'not_found');
  assert.equal(sub.state, 'idle');
});

test('iteration: a loop on a closed client fails with closed', { timeout: 10_000 }, async (t) => {
  const url = await startHub(t);
  const reader = await connected(t, url, 'reader');
  const sub = reader.subscription('chat:closed');
  reader.close();
  await assert.rejects(read(sub, 1), (e: unknown) => e instanceof ClientError && e.code === 'closed');
});

test('iteration: break keeps the subscription; a loop started later reads only newer publications', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  const sub = reader.subscription('chat:break');
  const seen: string[] = [];
  sub.on('publication', (p) => seen.push((p.data as { text: string }).text));
  await publishTexts(writer, 'chat:break', ['zero']);
  await sub.subscribe();
  const first = read(sub, 2);
  await publishTexts(writer, 'chat:break', ['one']);
  assert.deepEqual(await first, ['zero', 'one'], 'the first loop reads the join answer too');
  assert.equal(sub.state, 'subscribed', 'break does not unsubscribe');
  await publishTexts(writer, 'chat:break', ['two']);
  await waitFor(() => seen.includes('two'), 3000);
  const later = read(sub, 1);
  await publishTexts(writer, 'chat:break', ['three']);
  assert.deepEqual(await later, ['three']);
  assert.deepEqual(seen, ['zero', 'one', 'two', 'three']);
});

test('iteration: two loops started before the subscribe both read everything, recovered and live', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  await publishTexts(writer, 'chat:two', ['a', 'b', 'c']);
  const sub = reader.subscription('chat:two');
  const one = read(sub, 5);
  const two = read(sub, 5);
  await waitFor(() => sub.state === 'subscribed', 3000);
  await publishTexts(writer, 'chat:two', ['d', 'e']);
  assert.deepEqual(await one, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(await two, ['a', 'b', 'c', 'd', 'e']);
});

test('iteration: after unsubscribe(), iterating the same subscription object subscribes it again', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  const sub: Subscription = reader.subscription('chat:again');
  await sub.subscribe();
  await sub.unsubscribe();
  assert.equal(sub.state, 'idle');
  const reading = read(sub, 1);
  await waitFor(() => sub.state === 'subscribed', 3000);
  assert.equal(reader.subscription('chat:again'), sub, 'the same object is the channel subscription again');
  await publishTexts(writer, 'chat:again', ['back']);
  assert.deepEqual(await reading, ['back']);
});

test('iteration: memory stays bounded: a loop iteratorBuffer behind yields what it holds then fails with overflow; a larger backlog is dropped', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  const slow = reader.subscription('chat:slow', { iteratorBuffer: 2 });
  await slow.subscribe();
  const iterator = slow[Symbol.asyncIterator]();
  const seen: string[] = [];
  slow.on('publication', (p) => seen.push((p.data as { text: string }).text));
  await publishTexts(writer, 'chat:slow', ['1', '2', '3']);
  await waitFor(() => seen.length === 3, 3000);
  assert.deepEqual(
    [(await iterator.next()).value?.data, (await iterator.next()).value?.data],
    [{ text: '1' }, { text: '2' }],
  );
  await assert.rejects(iterator.next(), (e: unknown) => e instanceof ClientError && e.code === 'overflow');

  // The join answer carries ON_JOIN (3) publications: kept for the first loop within a buffer of 3; with a buffer of 2
  // they are dropped and the first loop reads only newer ones.
  const fits = reader.subscription('chat:fits', { iteratorBuffer: 3 });
  await publishTexts(writer, 'chat:fits', ['a', 'b', 'c']);
  await fits.subscribe();
  assert.deepEqual(await read(fits, 3), ['a', 'b', 'c']);
  const late = reader.subscription('chat:slow2', { iteratorBuffer: 2 });
  await publishTexts(writer, 'chat:slow2', ['a', 'b', 'c']);
  const answer = await late.subscribe();
  assert.equal(answer.publications.length, 3);
  const reading = read(late, 1);
  await publishTexts(writer, 'chat:slow2', ['d']);
  assert.deepEqual(await reading, ['d']);
});

test('iteration: a subscription made with options (presence) is the one that subscribes, by subscribe() or by a loop', {
  timeout: 10_000,
}, async (t) => {
  const url = await startHub(t);
  const writer = await connected(t, url, 'writer');
  const reader = await connected(t, url, 'reader');
  const explicit = reader.subscription('chat:with-presence', { presence: true });
  await explicit.subscribe();
  assert.equal(explicit.state, 'subscribed');
  assert.equal(reader.subscription('chat:with-presence'), explicit);
  assert.deepEqual(
    explicit.presence.map((u) => u.user),
    ['reader'],
  );

  const looped = reader.subscription('chat:looped', { presence: true });
  const reading = read(looped, 1);
  await waitFor(() => looped.state === 'subscribed', 3000);
  assert.deepEqual(
    looped.presence.map((u) => u.user),
    ['reader'],
  );
  await publishTexts(writer, 'chat:looped', ['hi']);
  assert.deepEqual(await reading, ['hi']);
});
