// Chromium's own EventSource following GET /sse (docs/protocol.md § 15.4) through a TCP proxy that cuts the stream while
// publications flow: the browser reconnects by itself with Last-Event-ID, and the page sees every offset once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisconnectCode } from '../../src/messages/index.ts';
import { createOriginPolicy } from '../../src/realtime/index.ts';
import { pagePerFile } from '../helpers/chromium.ts';
import { startSse } from '../helpers/sse-server.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

/** In the page: follow `url` with a plain EventSource and record everything it dispatches. */
const FOLLOW = `(url) => {
  const log = { messages: [], subscribed: [], errors: [], opens: 0, closed: false };
  const source = new EventSource(url);
  source.onopen = () => { log.opens++; };
  source.onmessage = (e) => { const p = JSON.parse(e.data); log.messages.push({ id: e.lastEventId, offset: p.offset, data: p.data }); };
  source.addEventListener('subscribed', (e) => log.subscribed.push({ id: e.lastEventId, ...JSON.parse(e.data) }));
  source.onerror = (e) => { log.errors.push(e.data ?? null); if (source.readyState === EventSource.CLOSED) log.closed = true; };
  window.__log = log;
  window.__source = source;
}`;

interface PageLog {
  messages: Array<{ id: string; offset: number; data: unknown }>;
  subscribed: Array<{ id: string; channel: string; recovered: boolean; offset: number; epoch: string }>;
  errors: unknown[];
  opens: number;
  closed: boolean;
}

const chromium = pagePerFile();

async function follow(url: string): Promise<void> {
  await chromium.page.evaluate('window.__source?.close()');
  await chromium.page.evaluate(`(${FOLLOW})(${JSON.stringify(url)})`);
}

function log(): Promise<PageLog> {
  return chromium.page.evaluate('window.__log') as Promise<PageLog>;
}

async function until(check: (l: PageLog) => boolean, what: string, timeoutMs = 20_000): Promise<PageLog> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = await log();
    if (check(l)) return l;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(l).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('Chromium EventSource: cut twice and ended once by the server while publications flow, it resumes with Last-Event-ID; every offset once, in order', async (t) => {
  const { hub, port } = await startSse(t, {
    realtime: { originPolicy: createOriginPolicy({ allowedOrigins: [chromium.origin] }) },
    sse: { retryMs: 200 },
  });
  const proxy = await new TcpProxy(port).listen();
  t.after(() => proxy.close());
  await follow(`http://127.0.0.1:${proxy.port}/sse?channel=ticker:live`);
  await until((l) => l.subscribed.length === 1, 'the first subscribed event');
  const total = 90;
  let cuts = 0;
  for (let i = 1; i <= total; i++) {
    await hub.publish('ticker:live', { i });
    if (i === 30) cuts += proxy.cut();
    // The second cut waits for the first reconnect, so that it cuts a stream and not the gap between two.
    if (i === 60) {
      await until((l) => l.opens >= 2, 'the first reconnect');
      cuts += proxy.cut();
    }
    // Then the server ends the stream itself (a node shedding load): an error event, the end, and a resume.
    if (i === 75) {
      await until((l) => l.opens >= 3, 'the second reconnect');
      for (const session of [...hub.sessions]) session.disconnect(DisconnectCode.SHUTDOWN);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(cuts, 2, 'the proxy cut one open stream each time');
  const l = await until((x) => x.messages.length >= total, `${total} publications`);
  assert.deepEqual(
    l.messages.map((m) => m.offset),
    Array.from({ length: total }, (_, i) => i + 1),
    'no gap, no duplicate, in order',
  );
  const epoch = l.subscribed[0]!.epoch;
  assert.deepEqual(
    l.messages.map((m) => m.id),
    l.messages.map((m) => `${epoch}:${m.offset}`),
  );
  assert.ok(l.opens >= 4, `the browser reopened the stream by itself (${l.opens} opens)`);
  assert.deepEqual(
    l.errors.filter((e) => e !== null).map((e) => JSON.parse(e as string)),
    [{ code: 4009, message: 'shutdown', reconnect: true }],
    'the server-side end came with its error event',
  );
  assert.equal(l.subscribed.length, l.opens);
  assert.deepEqual(
    l.subscribed.slice(1).map((s) => s.recovered),
    l.subscribed.slice(1).map(() => true),
    'each resume recovered its gap',
  );
  assert.equal(l.closed, false);
});

test('Chromium EventSource: a gap beyond the history resumes with recovered: false and continues from the top', async (t) => {
  const { hub, port } = await startSse(t, {
    realtime: { originPolicy: createOriginPolicy({ allowedOrigins: [chromium.origin] }) },
    sse: { retryMs: 200 },
  });
  const proxy = await new TcpProxy(port).listen();
  t.after(() => proxy.close());
  await follow(`http://127.0.0.1:${proxy.port}/sse?channel=small:gap`);
  await until((l) => l.subscribed.length === 1, 'the first subscribed event');
  await hub.publish('small:gap', 'seen');
  await until((l) => l.messages.length === 1, 'the first publication');
  // The network goes down: the browser keeps retrying while 10 publications (twice the history) go by.
  proxy.refuse(true);
  proxy.cut();
  for (let i = 0; i < 10; i++) await hub.publish('small:gap', `missed ${i}`);
  await new Promise((r) => setTimeout(r, 300));
  proxy.refuse(false);
  const l = await until((x) => x.subscribed.length === 2, 'the resumed subscribed event');
  const resumed = l.subscribed[1]!;
  assert.equal(resumed.recovered, false);
  assert.equal(resumed.offset, 11);
  assert.equal(resumed.id, `${resumed.epoch}:11`, 'the stream continues from the top');
  await hub.publish('small:gap', 'after');
  const after = await until((x) => x.messages.length === 2, 'the publication after the resume');
  assert.deepEqual(after.messages[1], { id: `${resumed.epoch}:12`, offset: 12, data: 'after' });
});

test('Chromium EventSource: a namespace that needs a token refuses an anonymous page (401: closed, no retry), takes ?token=', async (t) => {
  const { token, port } = await startSse(t, {
    realtime: { originPolicy: createOriginPolicy({ allowedOrigins: [chromium.origin] }) },
  });
  await follow(`http://127.0.0.1:${port}/sse?channel=members:room`);
  const refused = await until((l) => l.closed, 'the refused EventSource to close');
  assert.equal(refused.opens, 0);
  await follow(`http://127.0.0.1:${port}/sse?channel=members:room&token=${await token('alice')}`);
  const ok = await until((l) => l.subscribed.length === 1, 'the subscribed event');
  assert.equal(ok.opens, 1);
  assert.equal(ok.subscribed[0]!.channel, 'members:room');
  await chromium.page.evaluate('window.__source.close()');
});
