// Chromium's own WebSocket against a RealtimeServer with permessage-deflate enabled: the extension is negotiated, a
// snapshot and a large (compressed) publication arrive intact. Without the option the offer is declined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOriginPolicy } from '../../src/realtime/index.ts';
import { pagePerFile } from '../helpers/chromium.ts';
import { startHub } from '../helpers/realtime.ts';

const NAMESPACES = { prices: { snapshot: true, historySize: 10, recoverOnJoin: 0, presence: false } };

/** In the page: connect (the token rides in the URL), subscribe, wait for `count` publications after the snapshot. */
const RUN = `async ({ url, count }) => {
  const ws = new WebSocket(url, 'switchboard.v1.json');
  const inbox = []; const waiters = [];
  ws.onmessage = (e) => { const m = JSON.parse(e.data); const w = waiters.shift(); if (w) w(m); else inbox.push(m); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('websocket error')); });
  const next = () => inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve, reject) => { const t = setTimeout(() => reject(new Error('no message')), 15000); waiters.push((m) => { clearTimeout(t); resolve(m); }); });
  const until = async (type) => { for (;;) { const m = await next(); if (m.type === type) return m; } };
  ws.send(JSON.stringify({ type: 'connect', rid: 0 }));
  await until('connected');
  ws.send(JSON.stringify({ type: 'subscribe', channel: 'prices:q', rid: 1 }));
  const subscribed = await until('subscribed');
  window.__ready = true;
  const live = [];
  while (live.length < count) live.push(await until('publication'));
  ws.close(1000);
  return { extensions: ws.extensions, snapshot: subscribed.snapshot, live };
}`;

const chromium = pagePerFile();

for (const deflate of [true, false]) {
  test(`Chromium with a RealtimeServer whose perMessageDeflate is ${deflate ? 'on' : 'off'}: snapshot and a large publication arrive`, async (t) => {
    const hub = await startHub(t, {
      namespaces: NAMESPACES,
      originPolicy: createOriginPolicy({ allowedOrigins: [chromium.origin] }),
      ...(deflate ? { perMessageDeflate: { threshold: 64 } } : {}),
    });
    for (let i = 1; i <= 9; i++) await hub.hub.publish('prices:q', { i }, { key: `k${i % 3}` });
    const url = `${hub.url}?token=${encodeURIComponent(await hub.token('browser'))}`;
    await chromium.page.evaluate('window.__ready = false');
    const running = chromium.page.evaluate(`(${RUN})(${JSON.stringify({ url, count: 1 })})`);
    running.catch(() => undefined); // awaited below; a failure before that must not surface as unhandled
    const deadline = Date.now() + 15_000;
    while (!(await chromium.page.evaluate('window.__ready === true'))) {
      assert.ok(Date.now() < deadline, 'the page never subscribed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const big = { rows: Array.from({ length: 500 }, (_, i) => ({ symbol: `SYM${i}`, bid: 100 + i, ask: 101 + i })) };
    await hub.hub.publish('prices:q', big, { key: 'table' });
    const result = (await running) as {
      extensions: string;
      snapshot: { key: string; offset: number }[];
      live: { data: unknown; key: string }[];
    };
    if (deflate) assert.match(result.extensions, /^permessage-deflate/);
    else assert.equal(result.extensions, '');
    assert.deepEqual(
      result.snapshot.map((p) => [p.key, p.offset]),
      [
        ['k1', 7],
        ['k2', 8],
        ['k0', 9],
      ],
    );
    assert.deepEqual(result.live[0]!.data, big);
    assert.equal(result.live[0]!.key, 'table');
  });
}
