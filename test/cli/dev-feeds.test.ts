// The demo feeds of `serve --dev`: the DEV_INGEST mappings published into the feed namespace through the real hub
// (idempotency id per source position, channel and key from the payload), and the template rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEV_INGEST, renderPayloadTemplate, startDevFeeds } from '../../src/cli/dev-feeds.ts';
import { DEV_CONFIG } from '../../src/cli/config/dev-config.ts';
import { DEMO_CITIES, DEMO_SYMBOLS } from '../../src/ingest/index.ts';
import { startHub } from '../helpers/realtime.ts';

test('dev feeds: prices and weather land in feed:prices.<SYMBOL> and feed:weather.<city> with ids and keys', async (t) => {
  const { hub, broker } = await startHub(t, { namespaces: { feed: { historySize: 100, allowClientPublish: false } } });
  const warnings: unknown[] = [];
  const entries = DEV_INGEST.map((e) => ({ ...e, source: { ...e.source, intervalMs: 50 } }));
  const feeds = await startDevFeeds(hub, { warn: (fields) => warnings.push(fields) }, entries);
  t.after(() => feeds.close());
  const last = `feed:weather.${DEMO_CITIES.at(-1)![0]}`;
  const deadline = Date.now() + 20_000;
  while ((await broker.history(last)).offset < 2) {
    assert.ok(Date.now() < deadline, 'two weather ticks within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await feeds.close();
  for (const [symbol] of DEMO_SYMBOLS) {
    const h = await broker.history(`feed:prices.${symbol}`);
    assert.ok(h.publications.length >= 2, symbol);
    for (const p of h.publications) {
      assert.equal((p.data as { symbol: string }).symbol, symbol);
      assert.match(p.id ?? '', /^demo-prices:[0-9a-f]{8}:\d+$/);
    }
  }
  const w = await broker.history(last);
  assert.match(w.publications[0]!.id ?? '', /^demo-weather:[0-9a-f]{8}:\d+$/);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    feeds.sources.map((s) => s.status().state),
    ['closed', 'closed'],
  );
});

test('dev feeds: a channel the hub refuses is dropped with a warning, the feed goes on', async (t) => {
  const { hub, broker } = await startHub(t, { namespaces: { feed: { historySize: 10, recoverOnJoin: 1 } } });
  const warnings: Record<string, unknown>[] = [];
  const feeds = await startDevFeeds(hub, { warn: (fields) => warnings.push(fields) }, [
    {
      name: 'bad',
      source: { kind: 'demo', generator: 'weather', intervalMs: 20 },
      channel: 'nowhere:{payload.city}',
      key: '{payload.city}',
    },
    {
      name: 'missing',
      source: { kind: 'demo', generator: 'weather', intervalMs: 20 },
      channel: 'feed:{payload.nope}',
      key: '{payload.city}',
    },
    {
      name: 'good',
      source: { kind: 'demo', generator: 'weather', intervalMs: 20 },
      channel: 'feed:w.{payload.city}',
      key: '{payload.city}',
    },
  ]);
  t.after(() => feeds.close());
  const deadline = Date.now() + 20_000;
  while ((await broker.history('feed:w.Oslo')).offset < 3) {
    assert.ok(Date.now() < deadline, 'the good feed goes on');
    await new Promise((r) => setTimeout(r, 20));
  }
  await feeds.close();
  assert.ok(warnings.some((w) => w['connector'] === 'bad' && w['channel'] === 'nowhere:Oslo'));
  assert.ok(warnings.some((w) => w['connector'] === 'missing'));
});

test('dev feeds: templates and the dev namespace', () => {
  assert.equal(renderPayloadTemplate('feed:prices.{payload.symbol}', { symbol: 'ACME' }), 'feed:prices.ACME');
  assert.equal(renderPayloadTemplate('{payload.n}-{payload.s}', { n: 3, s: 'x' }), '3-x');
  assert.equal(renderPayloadTemplate('feed:{payload.symbol}', { symbol: { nested: 1 } }), null);
  assert.equal(renderPayloadTemplate('feed:{payload.symbol}', null), null);
  assert.equal(renderPayloadTemplate('feed:fixed', 'anything'), 'feed:fixed');
  const feed = (DEV_CONFIG.namespaces as Record<string, Record<string, unknown>>)['feed']!;
  assert.equal(feed['recoverOnJoin'], 1);
  assert.equal(feed['allowClientPublish'], false);
  assert.equal(feed['presence'], false);
  assert.equal(feed['historySize'], 100);
  assert.deepEqual(
    DEV_INGEST.map((e) => [e.name, e.source.generator, e.channel, e.key]),
    [
      ['demo-prices', 'prices', 'feed:prices.{payload.symbol}', '{payload.symbol}'],
      ['demo-weather', 'weather', 'feed:weather.{payload.city}', '{payload.city}'],
    ],
  );
});
