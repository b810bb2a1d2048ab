// The demo feeds of `serve --dev`: the DEV_INGEST mappings run by the ingest runner into the feed namespace through
// the real hub (idempotency id per source position, channel and key from the payload), and their selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEV_INGEST, ingestEntriesFor } from '../../src/cli/dev-feeds.ts';
import { DEV_CONFIG } from '../../src/cli/config/dev-config.ts';
import {
  createConnectors,
  DEMO_CITIES,
  DEMO_SYMBOLS,
  IngestConfigSchema,
  IngestRunner,
} from '../../src/ingest/index.ts';
import { startHub } from '../helpers/realtime.ts';

test('dev feeds: prices and weather land in feed:prices.<SYMBOL> and feed:weather.<city> with ids and keys', async (t) => {
  const { hub, broker } = await startHub(t, { namespaces: { feed: { historySize: 100, allowClientPublish: false } } });
  const entries = DEV_INGEST.map((e) => ({ ...e, source: { ...e.source, intervalMs: 50 } }));
  const runner = new IngestRunner({ server: hub, connectors: createConnectors(entries) });
  t.after(() => runner.close());
  await runner.start();
  const last = `feed:weather.${DEMO_CITIES.at(-1)![0]}`;
  const deadline = Date.now() + 20_000;
  while ((await broker.history(last)).offset < 2) {
    assert.ok(Date.now() < deadline, 'two weather ticks within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await runner.close();
  for (const [symbol] of DEMO_SYMBOLS) {
    const h = await broker.history(`feed:prices.${symbol}`);
    assert.ok(h.publications.length >= 2, symbol);
    for (const p of h.publications) {
      assert.equal((p.data as { symbol: string }).symbol, symbol);
      assert.equal(p.key, symbol);
      assert.match(p.id ?? '', /^demo-prices:[0-9a-f]{8}:\d+$/);
    }
  }
  const w = await broker.history(last);
  assert.match(w.publications[0]!.id ?? '', /^demo-weather:[0-9a-f]{8}:\d+$/);
});

test('dev feeds: added in development only, never over a configured connector of the same name', () => {
  const own = IngestConfigSchema.parse([
    { name: 'demo-prices', source: { kind: 'demo', generator: 'weather' }, channel: 'feed:mine.{payload.city}' },
  ]);
  assert.deepEqual(ingestEntriesFor([], false), []);
  assert.deepEqual(ingestEntriesFor(own, false), own);
  assert.deepEqual(
    ingestEntriesFor([], true).map((e) => e.name),
    ['demo-prices', 'demo-weather'],
  );
  const merged = ingestEntriesFor(own, true);
  assert.deepEqual(
    merged.map((e) => [e.name, e.channel]),
    [
      ['demo-prices', 'feed:mine.{payload.city}'],
      ['demo-weather', 'feed:weather.{payload.city}'],
    ],
  );
});

test('dev feeds: the dev namespace and mappings', () => {
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
