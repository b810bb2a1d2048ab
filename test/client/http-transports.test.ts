// The client over the event stream (SSE) and over long-polling against a real server: connect, subscribe, publish,
// presence, history, ping, typing and requests work as over WebSocket, next to a WebSocket client in the same channel;
// messages sent in the same tick go out in one POST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, type FetchFunction, type StateChange } from '../../src/client/index.ts';
import { engineTransport, tokenFor, waitFor } from '../helpers/client-faults.ts';
import { startTransportServer } from '../helpers/transport-server.ts';

for (const kind of ['sse', 'polling'] as const) {
  test(`client over ${kind}: connect, subscribe, publish with ack, receive, presence, history, typing, ping, rpc-less requests`, {
    timeout: 60_000,
  }, async (t) => {
    // A polling client that closes ends its session with DELETE /http/poll: the leave is seen at once, long before the
    // session timeout (60 s here).
    const server = await startTransportServer(t, { httpTransports: { sessionTimeoutMs: 60_000 } });
    // The real fetch, counting the sends (how many POSTs, how many messages each).
    const posts: number[] = [];
    const deletes: (boolean | undefined)[] = [];
    const counting: FetchFunction = async (url, init) => {
      if (url.includes('/http/send') && init.body !== undefined)
        posts.push((JSON.parse(init.body) as unknown[]).length);
      if (init.method === 'DELETE') deletes.push(init.keepalive);
      return fetch(url, init);
    };
    const a = new Client({ url: server.url, transports: [kind], fetch: counting, token: await tokenFor('alice') });
    const b = new Client({ url: server.url, transport: engineTransport, token: await tokenFor('bob') });
    t.after(() => {
      a.close();
      b.close();
    });
    const changes: StateChange[] = [];
    a.on('statechange', (c) => changes.push(c));
    const connected = await a.connect();
    assert.equal(connected.user, 'alice');
    assert.equal(a.transport, kind);
    assert.deepEqual(
      changes.map((c) => [c.state, c.transport]),
      [
        ['connecting', kind],
        ['connected', kind],
      ],
    );
    await b.connect();
    assert.equal(b.transport, 'websocket');

    const atA: unknown[] = [];
    const atB: unknown[] = [];
    a.on('publication', (p) => atA.push(p.data));
    b.on('publication', (p) => atB.push(p.data));
    const joins: string[] = [];
    a.on('join', (j) => joins.push(j.user));
    const typing: string[] = [];
    b.on('typing', (e) => typing.push(`${e.user}:${e.on}`));
    await a.subscribe('chat:h', { presence: true });
    await b.subscribe('chat:h', { presence: true });
    await waitFor(
      () => joins.includes('bob'),
      5000,
      () => JSON.stringify(joins),
    );

    // Ten publishes in one tick: one POST (they are sent together), all acknowledged in order.
    posts.length = 0;
    const acks = await Promise.all(Array.from({ length: 10 }, (_, i) => a.publish('chat:h', { from: 'a', i })));
    assert.deepEqual(
      acks.map((x) => x.offset),
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    assert.deepEqual(posts, [10], 'ten messages sent in the same tick go out in one POST');
    await b.publish('chat:h', { from: 'b' });
    await waitFor(
      () => atA.length === 11 && atB.length === 11,
      5000,
      () => `${atA.length} ${atB.length}`,
    );
    assert.deepEqual(atA, atB, 'both transports deliver the same publications in the same order');
    assert.deepEqual(atA.at(-1), { from: 'b' });

    const present = await a.presence('chat:h');
    assert.deepEqual(present.users.map((u) => u.user).sort(), ['alice', 'bob']);
    const history = await a.history('chat:h', { limit: 3 });
    assert.deepEqual(
      history.publications.map((p) => p.offset),
      [9, 10, 11],
    );
    a.typing('chat:h', true);
    await waitFor(
      () => typing.includes('alice:true'),
      5000,
      () => JSON.stringify(typing),
    );
    assert.equal(typeof (await a.ping()).time, 'number');
    assert.equal(a.positions.get('chat:h')?.offset, 11);

    // Leaving: bob sees alice go at once (the stream ends; the polling session is ended by DELETE /http/poll).
    const left: string[] = [];
    b.on('leave', (l) => left.push(l.user));
    a.close();
    await waitFor(
      () => left.includes('alice'),
      5000,
      () => JSON.stringify(left),
    );
    assert.equal(a.state, 'closed');
    // The end is sent with keepalive, so a browser finishes it even when the page is going away.
    assert.deepEqual(deletes, kind === 'polling' ? [true] : []);
  });
}

test('client over HTTP: the endpoints derive from url (query kept) or httpUrl; the token goes in Authorization, refreshed; cookies cross-origin only when asked', {
  timeout: 30_000,
}, async (t) => {
  const server = await startTransportServer(t);
  const seen: { url: string; auth: string | undefined; credentials: string }[] = [];
  const recording: FetchFunction = (url, init) => {
    seen.push({ url, auth: init.headers['Authorization'], credentials: init.credentials });
    return fetch(url, init);
  };
  const first = await tokenFor('carol');
  const a = new Client({ url: `${server.url}?tenant=t1`, transports: ['polling'], fetch: recording, token: first });
  t.after(() => a.close());
  await a.connect();
  await a.ping();
  assert.ok(seen.length >= 3, JSON.stringify(seen));
  for (const r of seen) {
    assert.match(r.url, new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/http/(poll|send)\\?(.*&)?tenant=t1`));
    assert.equal(r.auth, `Bearer ${first}`);
    assert.equal(r.credentials, 'same-origin');
  }
  // After a refresh, the session's requests carry the new token (the server checks each against the session's user).
  const second = await tokenFor('carol', 7_200_000);
  await a.refresh(second);
  seen.length = 0;
  await a.ping();
  assert.ok(seen.length > 0 && seen.every((r) => r.auth === `Bearer ${second}`), JSON.stringify(seen));

  seen.length = 0;
  const b = new Client({
    url: 'wss://unused.example/ws',
    httpUrl: `http://127.0.0.1:${server.port}`,
    transports: ['sse'],
    fetch: recording,
    withCredentials: true,
  });
  t.after(() => b.close());
  await assert.rejects(b.connect(), (err: unknown) => err instanceof Error); // anonymous is not allowed here
  assert.ok(seen.length >= 1);
  assert.deepEqual(seen[0], {
    url: `http://127.0.0.1:${server.port}/http/stream`,
    auth: undefined,
    credentials: 'include',
  });
});
