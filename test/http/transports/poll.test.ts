// The long-polling session (docs/protocol.md § 15.3) over real sockets: open, connect, subscribe, publish, receive;
// acks and re-sending (a cut poll loses nothing and duplicates nothing); the newer poll answers the older; timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PollSession, type PollAnswer } from '../../helpers/http-session.ts';
import { startHttpServer } from '../../helpers/http-session-server.ts';

async function openPoll(base: string, headers: Record<string, string> = {}): Promise<PollSession> {
  const p = await PollSession.open(base, headers);
  if (!(p instanceof PollSession)) throw new Error(`poll refused: ${p.status} ${JSON.stringify(p.body)}`);
  return p;
}

test('a polling session connects, subscribes, publishes and receives', async (t) => {
  const srv = await startHttpServer(t);
  const p = await openPoll(srv.base, await srv.auth('bob'));
  t.after(() => p.stop());
  assert.match(p.session, /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{22}$/);
  p.start();
  const posted = await p.send([
    { type: 'connect', rid: 1 },
    { type: 'subscribe', rid: 2, channel: 'chat:poll' },
  ]);
  assert.equal(posted.status, 204);
  assert.equal((await p.next('connected'))['user'], 'bob');
  await p.next('subscribed', (m) => m['re'] === 2);
  await p.send([{ type: 'publish', rid: 3, channel: 'chat:poll', data: { text: 'hey' }, id: 'p-1' }]);
  const publication = await p.next('publication');
  assert.deepEqual(publication['data'], { text: 'hey' });
  // Numbered 1, 2, 3, 4 (connected, subscribed, the publish's reply and the publication, in some order): no gap.
  const deadline = Date.now() + 5000;
  while (p.seqs.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(p.seqs, [1, 2, 3, 4]);
});

test('a poll answer cut on the way is sent again; an ack forgets; nothing is lost or duplicated', async (t) => {
  const srv = await startHttpServer(t);
  const p = await openPoll(srv.base, await srv.auth('carol'));
  await p.send([
    { type: 'connect', rid: 1 },
    { type: 'subscribe', rid: 2, channel: 'chat:acks' },
  ]);
  await p.pollOnce();
  while (p.ack < 2) await p.pollOnce();
  for (let i = 0; i < 5; i++) await srv.server.hub.publish('chat:acks', { i });
  // The client reads an answer but "loses" it: it does not ack, and polls again with the old ack.
  const lost = (await (await p.pollRaw(p.ack)).json()) as PollAnswer;
  assert.ok(lost.messages.length > 0);
  const again = (await (await p.pollRaw(p.ack)).json()) as PollAnswer;
  assert.equal(again.seq, lost.seq);
  assert.deepEqual(again.messages, lost.messages.slice(0, again.messages.length));
  // Processing both answers (as a client whose first answer did arrive late would) yields each message once.
  p.take(lost);
  p.take(again);
  while (p.messages.items.filter((m) => m.type === 'publication').length < 5) await p.pollOnce();
  const data = p.messages.items.filter((m) => m.type === 'publication').map((m) => (m['data'] as { i: number }).i);
  assert.deepEqual(data, [0, 1, 2, 3, 4]);
  assert.deepEqual(
    p.seqs,
    p.seqs.map((_, i) => i + 1),
  );
  // An ack past the last message sent is refused.
  const ahead = await p.pollRaw(p.ack + 10);
  assert.equal(ahead.status, 400);
  assert.equal(((await ahead.json()) as { error: string }).error, 'bad_request');
});

test('a newer poll answers an older one still held, empty; an empty poll ends at the poll timeout', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { pollTimeoutMs: 300 } });
  const p = await openPoll(srv.base);
  const older = p.pollRaw(0);
  await new Promise((r) => setTimeout(r, 50));
  const newer = p.pollRaw(0);
  const first = await older;
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { seq: 0, messages: [] });
  const second = await newer;
  assert.deepEqual(await second.json(), { seq: 0, messages: [] });
});

test('a session with no poll for the session timeout ends: its id is unknown', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { sessionTimeoutMs: 200, pollTimeoutMs: 100 } });
  const p = await openPoll(srv.base);
  assert.equal(srv.server.hub.connectionCount, 1);
  const deadline = Date.now() + 5000;
  while (srv.server.hub.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(srv.server.hub.connectionCount, 0);
  const res = await p.pollRaw(0);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: string }).error, 'unknown_session');
  assert.deepEqual(srv.server.httpTransports?.counts(), { sse: 0, poll: 0 });
});

test('an answer holds at most maxMessagesPerAnswer messages and about 1 MiB; the rest come with the next polls', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { maxMessagesPerAnswer: 3 } });
  const p = await openPoll(srv.base, await srv.auth('gina'));
  await p.send([
    { type: 'connect', rid: 1 },
    { type: 'subscribe', rid: 2, channel: 'chat:chunks' },
  ]);
  while (!p.messages.items.some((m) => m.type === 'subscribed')) await p.pollOnce();
  for (let i = 0; i < 10; i++) await srv.server.hub.publish('chat:chunks', { i });
  const sizes: number[] = [];
  while (p.messages.items.filter((m) => m.type === 'publication').length < 10) {
    sizes.push((await p.pollOnce()).messages.length);
  }
  assert.ok(
    sizes.every((n) => n <= 3),
    `answer sizes: ${sizes}`,
  );
  const big = 'x'.repeat(600 * 1024);
  for (let i = 0; i < 3; i++) await srv.server.hub.publish('chat:chunks', { big, i });
  const first = await p.pollOnce();
  assert.equal(first.messages.length, 1, 'two messages of 600 KiB do not share an answer');
  while (p.messages.items.filter((m) => m.type === 'publication').length < 13) await p.pollOnce();
  const order = p.messages.items.filter((m) => m.type === 'publication').map((m) => (m['data'] as { i: number }).i);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]);
});
