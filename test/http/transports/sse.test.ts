// The event-stream session (docs/protocol.md § 15.2) over real sockets: open, connect, subscribe, publish, receive,
// keepalive, recovery with `since` on a new stream, the end of a stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../../src/http/index.ts';
import { send, SseSession } from '../../helpers/http-session.ts';
import { startHttpServer } from '../../helpers/http-session-server.ts';

async function openStream(base: string, headers: Record<string, string> = {}): Promise<SseSession> {
  const s = await SseSession.open(base, headers);
  if (!(s instanceof SseSession)) throw new Error(`stream refused: ${s.status} ${JSON.stringify(s.body)}`);
  return s;
}

test('an event stream connects, subscribes, publishes and receives; answers come on the stream', async (t) => {
  const srv = await startHttpServer(t);
  const s = await openStream(srv.base, await srv.auth('alice'));
  t.after(() => s.close());
  assert.equal(s.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(s.response.headers.get('cache-control'), 'no-store');
  assert.equal(s.response.headers.get('x-accel-buffering'), 'no');
  assert.match(s.session, /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}$/);
  assert.ok(s.session.startsWith(`${srv.server.hub.nodeId}.`));

  const posted = await send(
    srv.base,
    s.session,
    [
      { type: 'connect', rid: 1 },
      { type: 'subscribe', rid: 2, channel: 'chat:room' },
    ],
    await srv.auth('alice'),
  );
  assert.equal(posted.status, 204);
  const connected = await s.next('connected');
  assert.equal(connected['user'], 'alice');
  await s.next('subscribed', (m) => m['re'] === 2);
  const publish = [{ type: 'publish', rid: 3, channel: 'chat:room', data: { text: 'hi' }, id: 'm-1' }];
  assert.equal((await send(srv.base, s.session, publish, await srv.auth('alice'))).status, 204);
  const publication = await s.next('publication');
  assert.deepEqual(publication['data'], { text: 'hi' });
  assert.equal(publication['channel'], 'chat:room');

  // A server-side publication reaches the stream too.
  await srv.server.hub.publish('chat:room', { text: 'from the server' });
  await s.next('publication', (m) => (m['data'] as { text: string }).text === 'from the server');
  assert.equal(srv.server.hub.connectionCount, 1);
});

test('a comment keeps the stream alive on the keepalive period', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { keepaliveMs: 50 } });
  const s = await openStream(srv.base);
  t.after(() => s.close());
  const deadline = Date.now() + 5000;
  while (s.parser.comments < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(s.parser.comments >= 2, `keepalive comments: ${s.parser.comments}`);
});

test('a new stream recovers a channel with since after the old one was cut', async (t) => {
  const srv = await startHttpServer(t);
  const headers = await srv.auth('alice');
  await srv.server.hub.publish('chat:recover', { n: 0 });
  const first = await openStream(srv.base, headers);
  await send(
    srv.base,
    first.session,
    [
      { type: 'connect', rid: 1 },
      { type: 'subscribe', rid: 2, channel: 'chat:recover' },
    ],
    headers,
  );
  const subscribed = await first.next('subscribed', (m) => m['re'] === 2);
  const epoch = subscribed['epoch'] as string;
  const offset = subscribed['offset'] as number;
  first.close();
  await first.ended;
  // The cut stream ends the session (1006): its id is unknown from now on.
  const deadline = Date.now() + 5000;
  while (srv.server.hub.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(srv.server.hub.connectionCount, 0);
  const stale = await send(srv.base, first.session, [{ type: 'ping' }], headers);
  assert.equal(stale.status, 404);
  assert.equal(((await stale.json()) as { error: string }).error, 'unknown_session');

  await srv.server.hub.publish('chat:recover', { n: 1 });
  await srv.server.hub.publish('chat:recover', { n: 2 });
  const second = await openStream(srv.base, headers);
  t.after(() => second.close());
  await send(
    srv.base,
    second.session,
    [
      { type: 'connect', rid: 1 },
      { type: 'subscribe', rid: 2, channel: 'chat:recover', since: { epoch, offset } },
    ],
    headers,
  );
  const recovered = await second.next('subscribed', (m) => m['re'] === 2);
  assert.equal(recovered['recovered'], true);
  const publications = recovered['publications'] as { offset: number; data: { n: number } }[];
  assert.deepEqual(
    publications.map((p) => [p.offset, p.data.n]),
    [
      [offset + 1, 1],
      [offset + 2, 2],
    ],
  );
});

test('session ids never reach the logs: redactUrl drops the session parameter', () => {
  assert.equal(redactUrl('/http/send?session=n.secret'), '/http/send');
  assert.equal(redactUrl('/http/poll?ack=3&session=n.secret'), '/http/poll?ack=3');
});
