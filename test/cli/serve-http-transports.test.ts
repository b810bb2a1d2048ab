// `switchboard serve` serves the HTTP emulated sessions (docs/protocol.md § 15) with the httpTransports settings,
// and not at all when they are disabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDev } from '../helpers/cli-fixtures.ts';
import { send, SseSession } from '../helpers/http-session.ts';

test('serve: an event stream with httpTransports.keepaliveMs, connected anonymously; /metrics counts it', async (t) => {
  const { url } = await serveDev(t, ['--set', 'httpTransports.keepaliveMs=50']);
  const base = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const s = await SseSession.open(base);
  if (!(s instanceof SseSession)) throw new Error(`refused: ${s.status} ${JSON.stringify(s.body)}`);
  t.after(() => s.close());
  assert.equal((await send(base, s.session, [{ type: 'connect', rid: 1 }])).status, 204);
  assert.match(String((await s.next('connected'))['user']), /^anon-/);
  const deadline = Date.now() + 10_000;
  while (s.parser.comments < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(s.parser.comments >= 2, `keepalive comments: ${s.parser.comments}`);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^switchboard_http_sessions\{transport="sse"\} 1$/m);
});

test('serve: httpTransports.enabled=false leaves /http/* unserved', async (t) => {
  const { url } = await serveDev(t, ['--set', 'httpTransports.enabled=false']);
  const base = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const res = await fetch(`${base}/http/stream`);
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: string }).error, 'not_found');
});
