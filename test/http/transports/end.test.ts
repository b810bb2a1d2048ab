// DELETE /http/poll (docs/protocol.md § 15.3): the client ends its polling session at once (1000): a held poll gets
// the close, the session's slot is freed, its id is unknown after; unknown ids 404, another user's 403, streams 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PollSession, SseSession, type PollAnswer } from '../../helpers/http-session.ts';
import { startHttpServer } from '../../helpers/http-session-server.ts';

async function errorOf(res: Response): Promise<{ status: number; error: string }> {
  return { status: res.status, error: ((await res.json()) as { error: string }).error };
}

test('DELETE /http/poll ends the session with 1000: the held poll gets the close, the slot is freed', async (t) => {
  const srv = await startHttpServer(t, { httpTransports: { pollTimeoutMs: 30_000 } });
  const bob = await srv.auth('bob');
  const p = await PollSession.open(srv.base, bob);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  await p.send([{ type: 'connect', rid: 1 }]);
  while (p.ack < 1) await p.pollOnce();
  assert.equal(srv.server.hub.connectionCount, 1);
  const held = p.pollRaw();
  await new Promise((r) => setTimeout(r, 100));
  const ended = await p.end();
  assert.equal(ended.status, 204);
  assert.equal(await ended.text(), '');
  const last = (await (await held).json()) as PollAnswer;
  assert.deepEqual(last.close, { code: 1000, reason: '' });
  assert.equal(srv.server.hub.connectionCount, 0);
  assert.deepEqual(await errorOf(await p.pollRaw()), { status: 404, error: 'unknown_session' });
  assert.deepEqual(await errorOf(await p.end()), { status: 404, error: 'unknown_session' });
});

test("DELETE /http/poll: unknown ids 404, another user's session 403, none 401, an event stream 400", async (t) => {
  const srv = await startHttpServer(t);
  const bob = await srv.auth('bob');
  const p = await PollSession.open(srv.base, bob);
  if (!(p instanceof PollSession)) throw new Error(`refused: ${p.status}`);
  const unknown = `${srv.server.hub.nodeId}.AAAAAAAAAAAAAAAAAAAAAA`;
  const del = (session: string, headers: Record<string, string> = {}) =>
    fetch(`${srv.base}/http/poll?session=${encodeURIComponent(session)}`, { method: 'DELETE', headers });
  assert.deepEqual(await errorOf(await del(unknown, bob)), { status: 404, error: 'unknown_session' });
  assert.deepEqual(await errorOf(await del('nonsense', bob)), { status: 404, error: 'unknown_session' });
  assert.deepEqual(await errorOf(await p.end(await srv.auth('mallory'))), { status: 403, error: 'forbidden' });
  assert.deepEqual(await errorOf(await p.end({})), { status: 401, error: 'unauthorized' });
  // Still open after the refusals.
  assert.equal(srv.server.hub.connectionCount, 1);
  const s = await SseSession.open(srv.base, bob);
  if (!(s instanceof SseSession)) throw new Error(`refused: ${s.status}`);
  t.after(() => s.close());
  assert.deepEqual(await errorOf(await del(s.session, bob)), { status: 400, error: 'bad_request' });
  assert.equal((await p.end()).status, 204);
});

test('a preflight allows DELETE', async (t) => {
  const srv = await startHttpServer(t);
  const res = await fetch(`${srv.base}/http/poll`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'DELETE' },
  });
  assert.equal(res.status, 204);
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /\bDELETE\b/);
});
