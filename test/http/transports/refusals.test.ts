// Every bad input of the HTTP transports (docs/protocol.md § 15) gets a clear JSON error: unknown and ended session
// ids, another user's session, bodies too large, wrong content type, bad JSON, not an array, too many messages,
// forbidden origins (and their CORS preflight), bad acks, wrong methods; idle streams from one address stay bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PollSession, send, SseSession } from '../../helpers/http-session.ts';
import { ALLOWED_ORIGIN, startHttpServer } from '../../helpers/http-session-server.ts';
import { handshakeStatus } from '../../helpers/realtime.ts';

async function errorOf(res: Response): Promise<{ status: number; error: string; message: string }> {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { error: string; message: string };
  assert.equal(typeof body.message, 'string');
  return { status: res.status, error: body.error, message: body.message };
}

async function stream(base: string, headers: Record<string, string> = {}): Promise<SseSession> {
  const s = await SseSession.open(base, headers);
  if (!(s instanceof SseSession)) throw new Error(`stream refused: ${s.status} ${JSON.stringify(s.body)}`);
  return s;
}

test('unknown, malformed and ended session ids are 404 unknown_session, for send and poll', async (t) => {
  const srv = await startHttpServer(t);
  const node = srv.server.hub.nodeId;
  for (const id of [`${node}.AAAAAAAAAAAAAAAAAAAAAA`, 'garbage', '', `${node}.short`]) {
    const sent = await errorOf(await send(srv.base, id, [{ type: 'ping' }]));
    assert.deepEqual([sent.status, sent.error], [404, 'unknown_session'], id);
    const polled = await errorOf(await fetch(`${srv.base}/http/poll?session=${encodeURIComponent(id)}&ack=0`));
    assert.deepEqual([polled.status, polled.error], [404, 'unknown_session'], id);
  }
  const missing = await errorOf(
    await fetch(`${srv.base}/http/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '[]',
    }),
  );
  assert.deepEqual([missing.status, missing.error], [404, 'unknown_session']);
  // A real session's id with one secret character changed is as unknown as any other.
  const s = await stream(srv.base);
  t.after(() => s.close());
  const last = s.session.at(-1) === 'A' ? 'B' : 'A';
  const forged = await errorOf(await send(srv.base, `${s.session.slice(0, -1)}${last}`, [{ type: 'ping' }]));
  assert.deepEqual([forged.status, forged.error], [404, 'unknown_session']);
  // A session that ended (its client left without connecting: auth timeout) is unknown.
  const p = await PollSession.open(srv.base);
  assert.ok(p instanceof PollSession);
  await p.send([{ type: 'connect', token: 'not-a-token' }]);
  const answer = await p.pollOnce();
  assert.equal(answer.close?.code, 4502);
  const ended = await errorOf(await p.pollRaw(p.ack));
  assert.deepEqual([ended.status, ended.error], [404, 'unknown_session']);
});

test("a request for another user's session is 403 forbidden; one with no credential 401; polling a stream 400", async (t) => {
  const srv = await startHttpServer(t);
  const alice = await srv.auth('alice');
  const s = await stream(srv.base, alice);
  t.after(() => s.close());
  assert.equal((await send(srv.base, s.session, [{ type: 'connect', rid: 1 }], alice)).status, 204);
  await s.next('connected');
  const mallory = await errorOf(await send(srv.base, s.session, [{ type: 'ping' }], await srv.auth('mallory')));
  assert.deepEqual([mallory.status, mallory.error], [403, 'forbidden']);
  const none = await send(srv.base, s.session, [{ type: 'ping' }]);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.deepEqual((await errorOf(none)).error, 'unauthorized');
  const bad = await errorOf(await send(srv.base, s.session, [{ type: 'ping' }], { Authorization: 'Bearer nope' }));
  assert.deepEqual([bad.status, bad.error], [401, 'unauthorized']);
  const pollStream = await errorOf(
    await fetch(`${srv.base}/http/poll?session=${encodeURIComponent(s.session)}&ack=0`, { headers: alice }),
  );
  assert.deepEqual([pollStream.status, pollStream.error], [400, 'bad_request']);

  const p = await PollSession.open(srv.base, await srv.auth('bob'));
  assert.ok(p instanceof PollSession);
  const stolen = await errorOf(
    await fetch(`${srv.base}/http/poll?session=${encodeURIComponent(p.session)}&ack=0`, { headers: alice }),
  );
  assert.deepEqual([stolen.status, stolen.error], [403, 'forbidden']);
});

test('POST bodies: wrong type 415, too large 413, bad JSON 400, not an array 400, over 100 messages 413', async (t) => {
  const srv = await startHttpServer(t, {
    maxBodyBytes: 4096,
    realtime: { rateLimit: { messagesPerSecond: 1000, messagesBurst: 1000 } },
  });
  const alice = await srv.auth('alice');
  const s = await stream(srv.base, alice);
  t.after(() => s.close());
  const post = (body: string, type = 'application/json') =>
    fetch(`${srv.base}/http/send?session=${encodeURIComponent(s.session)}`, {
      method: 'POST',
      headers: { 'Content-Type': type, ...alice },
      body,
    });
  assert.equal((await post('[{"type":"connect"}]')).status, 204);
  await s.next('connected');
  const cases: [Promise<Response>, number, string][] = [
    [post('[]', 'text/plain'), 415, 'unsupported_media_type'],
    [post('[]', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type'],
    [post('[]', 'application/json; charset=latin1'), 415, 'unsupported_media_type'],
    [post(JSON.stringify([{ type: 'ping', pad: 'x'.repeat(5000) }])), 413, 'too_large'],
    [post('[{"type":'), 400, 'bad_request'],
    [post('\xff'), 400, 'bad_request'],
    [post('{"type":"ping"}'), 400, 'invalid_message'],
    [post('"ping"'), 400, 'invalid_message'],
    [post(JSON.stringify(Array.from({ length: 101 }, () => ({ type: 'ping' })))), 413, 'too_many_items'],
    [post(`${'['.repeat(40)}${']'.repeat(40)}`), 400, 'bad_request'],
  ];
  for (const [response, status, error] of cases) {
    const e = await errorOf(await response);
    assert.deepEqual([e.status, e.error], [status, error], e.message);
  }
  // A POST of a valid array of 100 goes through; each member is checked as a frame (the answers come on the stream).
  const ok = await post(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ type: 'ping', rid: i + 1 }))));
  assert.equal(ok.status, 204);
  await s.next('reply', (m) => m['re'] === 100);
  const notMessage = await post(JSON.stringify([{ type: 'nonsense' }]));
  assert.equal(notMessage.status, 204);
  const refused = await s.next('error');
  assert.equal(refused['code'], 'unknown_type');
  // Opening a polling session wants {} as JSON.
  const open = (body: string, type = 'application/json') =>
    fetch(`${srv.base}/http/poll`, { method: 'POST', headers: { 'Content-Type': type }, body });
  assert.deepEqual(
    [(await errorOf(await open('{}', 'text/plain'))).error, (await errorOf(await open('[]'))).error],
    ['unsupported_media_type', 'invalid_message'],
  );
  assert.equal((await errorOf(await open('{"x":1}'))).error, 'invalid_message');
  assert.equal((await errorOf(await open('{'))).error, 'bad_request');
  assert.equal((await errorOf(await open(`{"x":"${'y'.repeat(2000)}"}`))).status, 413);
});

test('bad acks are 400; wrong methods 405 with Allow; unknown paths under /http/ 404', async (t) => {
  const srv = await startHttpServer(t);
  const p = await PollSession.open(srv.base);
  assert.ok(p instanceof PollSession);
  for (const ack of ['', '-1', '1.5', 'x', '01', '9'.repeat(20)]) {
    const res = await fetch(`${srv.base}/http/poll?session=${encodeURIComponent(p.session)}&ack=${ack}`);
    assert.deepEqual([(await errorOf(res)).status], [400], ack);
  }
  const noAck = await fetch(`${srv.base}/http/poll?session=${encodeURIComponent(p.session)}`);
  assert.equal((await errorOf(noAck)).error, 'bad_request');
  const put = await fetch(`${srv.base}/http/send`, { method: 'PUT', body: '[]' });
  assert.equal(put.headers.get('allow'), 'POST');
  assert.deepEqual([(await errorOf(put)).status, put.status], [405, 405]);
  const postStream = await fetch(`${srv.base}/http/stream`, { method: 'POST', body: '' });
  assert.equal((await errorOf(postStream)).error, 'method_not_allowed');
  const other = await fetch(`${srv.base}/http/other`);
  assert.deepEqual([(await errorOf(other)).status], [404]);
});

test('a forbidden origin is refused 403 everywhere; CORS answers allowed origins only', async (t) => {
  const srv = await startHttpServer(t);
  const evil = { Origin: 'https://evil.example.com' };
  const refusedStream = await SseSession.open(srv.base, evil);
  assert.ok(!(refusedStream instanceof SseSession));
  assert.deepEqual([refusedStream.status, refusedStream.body['error']], [403, 'forbidden']);
  const refusedPoll = await PollSession.open(srv.base, evil);
  assert.ok(!(refusedPoll instanceof PollSession));
  assert.deepEqual([refusedPoll.status, refusedPoll.body['error']], [403, 'forbidden']);
  const allowedHeaders = { Origin: ALLOWED_ORIGIN, ...(await srv.auth('alice')) };
  const s = await stream(srv.base, allowedHeaders);
  t.after(() => s.close());
  assert.equal(s.response.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
  assert.equal(s.response.headers.get('access-control-allow-credentials'), 'true');
  const sent = await errorOf(await send(srv.base, s.session, [{ type: 'ping' }], { ...allowedHeaders, ...evil }));
  assert.deepEqual([sent.status, sent.error], [403, 'forbidden']);
  assert.equal((await send(srv.base, s.session, [{ type: 'connect' }], allowedHeaders)).status, 204);
  await s.next('connected');

  const preflight = (origin: string) =>
    fetch(`${srv.base}/http/send`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
  const allowed = await preflight(ALLOWED_ORIGIN);
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
  assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Content-Type/);
  assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
  const denied = await preflight('https://evil.example.com');
  assert.equal(denied.headers.get('access-control-allow-origin'), null);
  assert.deepEqual([(await errorOf(denied)).status], [403]);
});

test('a thousand idle streams from one address hit the per-address cap of /ws: sessions stay bounded', async (t) => {
  const cap = 25;
  const srv = await startHttpServer(t, {
    // Idle for longer than the test: no stream ends by the auth deadline and frees its slot.
    realtime: { engine: { maxConnectionsPerIp: cap }, connectionsPerMinutePerIp: 100_000, authTimeoutMs: 60_000 },
  });
  const opened: SseSession[] = [];
  t.after(() => {
    for (const s of opened) s.close();
  });
  const statuses = new Map<string, number>();
  for (let batch = 0; batch < 1000; batch += 50) {
    const results = await Promise.all(Array.from({ length: 50 }, () => SseSession.open(srv.base)));
    for (const r of results) {
      const key = r instanceof SseSession ? '200' : `${r.status} ${String(r.body['error'])}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (r instanceof SseSession) opened.push(r);
      else assert.equal(r.headers.get('retry-after'), '5');
    }
  }
  assert.deepEqual(Object.fromEntries(statuses), { '200': cap, '503 too_many_connections': 1000 - cap });
  assert.equal(srv.server.hub.connectionCount, cap);
  assert.deepEqual(srv.server.httpTransports?.counts(), { sse: cap, poll: 0 });
  // Polling sessions and WebSockets from the same address count against the same cap.
  const poll = await PollSession.open(srv.base);
  assert.ok(!(poll instanceof PollSession));
  assert.equal(poll.status, 503);
  assert.equal(await handshakeStatus(`ws://127.0.0.1:${srv.port}/ws`), 503);
  // Streams that end give their slot back.
  for (const s of opened.splice(0, 5)) s.close();
  const deadline = Date.now() + 5000;
  while (srv.server.hub.connectionCount > cap - 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const again = await SseSession.open(srv.base);
  assert.ok(again instanceof SseSession);
  opened.push(again);
});

test('drain: open streams get a close event (1001) and their end; new sessions are 503', async (t) => {
  const srv = await startHttpServer(t);
  const s = await stream(srv.base);
  const p = await PollSession.open(srv.base);
  assert.ok(p instanceof PollSession);
  const held = p.pollRaw(0);
  // The poll is on the server (held) before the drain starts.
  await new Promise((r) => setTimeout(r, 200));
  // The hub drains (as the server's close does first, before it stops listening): new sessions are refused.
  const draining = srv.server.hub.drain({ timeoutMs: 2000 });
  const refusedStream = await SseSession.open(srv.base);
  assert.ok(!(refusedStream instanceof SseSession));
  assert.deepEqual([refusedStream.status, refusedStream.body['error']], [503, 'unavailable']);
  assert.equal(refusedStream.headers.get('retry-after'), '5');
  const refusedPoll = await PollSession.open(srv.base);
  assert.ok(!(refusedPoll instanceof PollSession));
  assert.deepEqual([refusedPoll.status, refusedPoll.body['error']], [503, 'unavailable']);
  await s.ended;
  const close = s.events.items.find((e) => e.event === 'close');
  assert.deepEqual(JSON.parse(close?.data ?? 'null'), { code: 1001, reason: 'shutdown' });
  const disconnect = s.messages.items.find((m) => m.type === 'disconnect');
  assert.equal(disconnect?.['reconnect'], true);
  const answer = (await (await held).json()) as { close?: { code: number } };
  assert.equal(answer.close?.code, 1001);
  await draining;
});
